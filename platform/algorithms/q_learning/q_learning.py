"""Tabular Q-learning as an RLlib algorithm (new API stack).

Each iteration samples ``train_batch_size`` env steps with epsilon-greedy actions (epsilon decays
linearly from ``epsilon_start`` to ``epsilon_end`` over ``epsilon_decay_steps`` env steps), then
applies the tabular update ``Q(s,a) <- Q(s,a) + alpha (r + gamma max_a' Q(s',a') - Q(s,a))`` with
``alpha = lr`` (the API's ``learning_rate``) and ``gamma`` (``discount_factor``) to every transition
(``update.tabular_step``), and syncs the table to the EnvRunners. Tables and state: see
``discretisation``.
"""
from __future__ import annotations

from typing_extensions import Self

from ray.rllib.algorithms import Algorithm
from ray.rllib.algorithms.algorithm_config import AlgorithmConfig, NotProvided
from ray.rllib.core.rl_module.rl_module import RLModuleSpec
from ray.rllib.execution.rollout_ops import synchronous_parallel_sample
from ray.rllib.utils.metrics import (ENV_RUNNER_RESULTS, LEARNER_RESULTS, NUM_ENV_STEPS_SAMPLED_LIFETIME)


class QLearningConfig(AlgorithmConfig):
    def __init__(self, algo_class=None):
        super().__init__(algo_class=algo_class or QLearning)
        self.lr = 0.1
        self.gamma = 0.95
        self.train_batch_size_per_learner = 2304
        self.epsilon_start = 1.0
        self.epsilon_end = 0.05
        self.epsilon_decay_steps = 100_000
        self.num_epochs = 1
        self.credit = "shared"  # or "station": each node's table learns from its station's cost (learner)

    def training(self, *, epsilon_start=NotProvided, epsilon_end=NotProvided, epsilon_decay_steps=NotProvided,
                 credit=NotProvided, **kwargs) -> Self:
        super().training(**kwargs)
        if credit is not NotProvided:
            if credit not in ("shared", "station"):
                raise ValueError(f"credit must be 'shared' or 'station', got {credit!r}")
            self.credit = credit
        if epsilon_start is not NotProvided:
            self.epsilon_start = epsilon_start
        if epsilon_end is not NotProvided:
            self.epsilon_end = epsilon_end
        if epsilon_decay_steps is not NotProvided:
            self.epsilon_decay_steps = epsilon_decay_steps
        return self

    def get_default_rl_module_spec(self) -> RLModuleSpec:
        from .q_table_rl_module import QTableRLModule

        return RLModuleSpec(module_class=QTableRLModule)  # tod_bins, load_bins: the module's defaults

    def get_default_learner_class(self):
        from .q_learning_learner import QLearningTorchLearner

        return QLearningTorchLearner


class QLearning(Algorithm):
    @classmethod
    def get_default_config(cls) -> QLearningConfig:
        return QLearningConfig()

    def training_step(self) -> None:
        episodes, env_runner_results = synchronous_parallel_sample(
            worker_set=self.env_runner_group, max_env_steps=self.config.total_train_batch_size,
            sample_timeout_s=self.config.sample_timeout_s, _uses_new_env_runners=True, _return_metrics=True)
        if not episodes:
            return
        self.metrics.aggregate(env_runner_results, key=ENV_RUNNER_RESULTS)
        learner_results = self.learner_group.update(
            episodes=episodes,
            timesteps={NUM_ENV_STEPS_SAMPLED_LIFETIME: self.metrics.peek(
                (ENV_RUNNER_RESULTS, NUM_ENV_STEPS_SAMPLED_LIFETIME))},
            num_epochs=self.config.num_epochs, minibatch_size=None)
        self.metrics.aggregate(learner_results, key=LEARNER_RESULTS)
        self.env_runner_group.sync_weights(from_worker_or_learner_group=self.learner_group, inference_only=True)

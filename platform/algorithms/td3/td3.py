"""TD3 (twin delayed DDPG) as an RLlib algorithm on the new API stack.

RLlib 2.60 has no TD3 any more; this one reuses SAC's off-policy machinery (episode replay buffer,
sampling and update loop of ``SAC``/``DQN``, target-network bookkeeping of ``DQNLearner``) with its
own RLModule (deterministic actor, twin critics) and learner (``td3_learner``). Continuous actions in
``[-1, 1]^d``; the platform maps them to replicas with ``ContinuousAction``.
"""
from __future__ import annotations

from typing_extensions import Self

from ray.rllib.algorithms.algorithm_config import NotProvided
from ray.rllib.algorithms.sac import SAC, SACConfig
from ray.rllib.core.rl_module.rl_module import RLModuleSpec
from ray.rllib.utils.annotations import override


class TD3Config(SACConfig):
    """TD3's settings on top of SAC's (replay, ``tau``, learning rates, ``training_intensity``).

    SAC's entropy keys (``initial_alpha``, ``target_entropy``, ``alpha_lr``) do nothing here: TD3's
    actor is deterministic and explores by ``exploration_noise``.
    """

    def __init__(self, algo_class=None):
        super().__init__(algo_class=algo_class or TD3)
        self.policy_delay = 2
        self.target_noise = 0.2
        self.target_noise_clip = 0.5
        self.exploration_noise = 0.1
        self.credit = "shared"  # or "station": one critic head per node, on its station's reward (update.py)
        self.tau = 0.005
        # Not used: the learner moves the targets (Polyak, ``tau``) on every delayed policy step only.
        self.target_network_update_freq = 0
        self.replay_buffer_config = {"type": "EpisodeReplayBuffer", "capacity": 100_000}

    @override(SACConfig)
    def training(self, *, policy_delay: int | None = NotProvided, target_noise: float | None = NotProvided,
                 target_noise_clip: float | None = NotProvided, exploration_noise: float | None = NotProvided,
                 credit: str | None = NotProvided, **kwargs) -> Self:
        """Sets the training related configuration.

        Args:
            policy_delay: Critic updates per actor update; the target actor and target critics move
                (Polyak, ``tau``) only on those actor updates.
            target_noise: Sigma of the Gaussian added to the target actor's action in the critic
                target (target policy smoothing), in action units ([-1, 1]).
            target_noise_clip: That noise is clipped to [-c, c].
            exploration_noise: Sigma of the Gaussian added to the actor's action while sampling.
            credit: ``"shared"``, the critics value the cluster's reward; ``"station"``, each critic has
                one head per node valued on that node's station share of the cost
                (``info["station_cost"]``; ``lwmecps.platform.algorithms.credit``).
            **kwargs: SAC's (and DQN's, AlgorithmConfig's) training arguments.

        Returns:
            This updated AlgorithmConfig object.
        """
        super().training(**kwargs)
        if policy_delay is not NotProvided:
            self.policy_delay = policy_delay
        if target_noise is not NotProvided:
            self.target_noise = target_noise
        if target_noise_clip is not NotProvided:
            self.target_noise_clip = target_noise_clip
        if exploration_noise is not NotProvided:
            self.exploration_noise = exploration_noise
        if credit is not NotProvided:
            self.credit = credit
        return self

    @override(SACConfig)
    def validate(self) -> None:
        super().validate()
        if not isinstance(self.policy_delay, int) or self.policy_delay < 1:
            self._value_error(f"`policy_delay` ({self.policy_delay}) must be an integer >= 1")
        if self.credit not in ("shared", "station"):
            self._value_error(f"`credit` must be 'shared' or 'station', got {self.credit!r}")
        if self.credit == "station" and self.n_step != 1:
            # an n-step sample's reward is a discounted sum whose station shares the replay buffer drops
            self._value_error(f"`credit` 'station' needs `n_step` 1, got {self.n_step}")
        for key in ("target_noise", "target_noise_clip", "exploration_noise"):
            if getattr(self, key) < 0:
                self._value_error(f"`{key}` ({getattr(self, key)}) must be >= 0")

    def get_default_rl_module_spec(self) -> RLModuleSpec:
        from .td3_rl_module import TD3TorchRLModule

        return RLModuleSpec(module_class=TD3TorchRLModule)

    @property
    @override(SACConfig)
    def _model_config_auto_includes(self):
        # the module samples with the exploration noise; SAC's own keys (twin_q) ride along unused
        return super()._model_config_auto_includes | {"exploration_noise": self.exploration_noise,
                                                       "credit": self.credit}

    def get_default_learner_class(self):
        from .td3_learner import TD3TorchLearner

        return TD3TorchLearner


class TD3(SAC):
    @classmethod
    def get_default_config(cls) -> TD3Config:
        return TD3Config()

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


class TD3Config(SACConfig):
    def __init__(self, algo_class=None):
        super().__init__(algo_class=algo_class or TD3)
        self.policy_delay = 2
        self.target_noise = 0.2
        self.target_noise_clip = 0.5
        self.exploration_noise = 0.1
        self.tau = 0.005
        # Not used: the learner moves the targets (Polyak, ``tau``) on every delayed policy step only.
        self.target_network_update_freq = 0
        self.replay_buffer_config = {"type": "EpisodeReplayBuffer", "capacity": 100_000}

    def training(self, *, policy_delay=NotProvided, target_noise=NotProvided, target_noise_clip=NotProvided,
                 exploration_noise=NotProvided, **kwargs) -> Self:
        super().training(**kwargs)
        for key, value in (("policy_delay", policy_delay), ("target_noise", target_noise),
                           ("target_noise_clip", target_noise_clip), ("exploration_noise", exploration_noise)):
            if value is not NotProvided:
                setattr(self, key, value)
        return self

    def get_default_rl_module_spec(self) -> RLModuleSpec:
        from .td3_rl_module import TD3TorchRLModule

        return RLModuleSpec(module_class=TD3TorchRLModule)

    @property
    def _model_config_auto_includes(self):
        return {"exploration_noise": self.exploration_noise}

    def get_default_learner_class(self):
        from .td3_learner import TD3TorchLearner

        return TD3TorchLearner


class TD3(SAC):
    @classmethod
    def get_default_config(cls) -> TD3Config:
        return TD3Config()

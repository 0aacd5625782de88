"""How each model type's RLlib ``AlgorithmConfig`` is built from its resolved parameters (defaults from
``configs/algorithms/<type>.yaml`` already filled in by ``registry.ModelType.resolve``). One function
per type; ``registry.MODEL_TYPES`` names them and ``registry.build_config`` adds what every type
shares (env, EnvRunners, learners, fault tolerance, callbacks, seed)."""
from __future__ import annotations

from typing import Any


def ppo(p: dict[str, Any]):
    from ray.rllib.algorithms.ppo import PPOConfig

    config = PPOConfig().training(
        lr=p.get("learning_rate", 3e-4), minibatch_size=p.get("batch_size", 256), num_epochs=p.get("epochs", 6),
        train_batch_size_per_learner=p.get("train_batch_size", 2304), lambda_=p.get("lambda", 0.95),
        # returns are ~ -600 per day: an unclipped value loss (RLlib's default clip of 10 pinned it)
        vf_clip_param=1e4, entropy_coeff=p.get("entropy_coeff", 0.0),
    )
    if p.get("network", "mlp") == "symmetric":  # one shared per-node network (algorithms/symmetric.py)
        from ray.rllib.core.rl_module.rl_module import RLModuleSpec

        from lwmecps.platform.algorithms.symmetric import SymmetricNodeModule

        return config.rl_module(rl_module_spec=RLModuleSpec(module_class=SymmetricNodeModule,
                                                            model_config={"hiddens": [64, 64]}))
    return config.rl_module(model_config={"fcnet_hiddens": [64, 64]})


def dqn(p: dict[str, Any]):
    from ray.rllib.algorithms.dqn import DQNConfig

    config = DQNConfig().training(
        lr=p.get("learning_rate", 5e-4), train_batch_size_per_learner=p.get("batch_size", 64),
        training_intensity=p.get("epochs"), n_step=p.get("n_step", 1), double_q=True, dueling=True,
        num_steps_sampled_before_learning_starts=p.get("learning_starts", 1000),
        target_network_update_freq=p.get("target_update_freq", 500),
        replay_buffer_config={"type": "PrioritizedEpisodeReplayBuffer", "capacity": 50000},
    ).rl_module(model_config={"fcnet_hiddens": [128, 128]})
    if p.get("network", "mlp") in ("branched", "symmetric"):  # per-node advantages (algorithms/branched_dqn.py)
        from ray.rllib.algorithms.dqn.torch.default_dqn_torch_rl_module import DefaultDQNTorchRLModule
        from ray.rllib.core.rl_module.rl_module import RLModuleSpec

        from lwmecps.platform.algorithms import branched_dqn

        catalog = (branched_dqn.SymmetricDQNCatalog if p["network"] == "symmetric"
                   else branched_dqn.BranchedDQNCatalog)
        config = config.rl_module(rl_module_spec=RLModuleSpec(module_class=DefaultDQNTorchRLModule,
                                                              catalog_class=catalog))
    return config


def sac(p: dict[str, Any]):
    from ray.rllib.algorithms.sac import SACConfig

    lr = p.get("learning_rate", 3e-4)
    config = SACConfig().training(
        actor_lr=lr, critic_lr=lr, alpha_lr=lr, train_batch_size_per_learner=p.get("batch_size", 256),
        training_intensity=p.get("epochs"), tau=p.get("tau", 0.005), initial_alpha=p.get("initial_alpha", 1.0),
        num_steps_sampled_before_learning_starts=p.get("learning_starts", 1000),
        replay_buffer_config={"type": "PrioritizedEpisodeReplayBuffer", "capacity": 50000},
    ).rl_module(model_config={"fcnet_hiddens": [128, 128]})
    if p.get("network", "mlp") == "symmetric":  # one shared per-node actor and critic (symmetric_sac.py)
        from ray.rllib.algorithms.sac.torch.default_sac_torch_rl_module import DefaultSACTorchRLModule
        from ray.rllib.core.rl_module.rl_module import RLModuleSpec

        from lwmecps.platform.algorithms.symmetric_sac import SymmetricSACCatalog

        config = config.rl_module(rl_module_spec=RLModuleSpec(module_class=DefaultSACTorchRLModule,
                                                              catalog_class=SymmetricSACCatalog))
    return config


def td3(p: dict[str, Any]):
    from lwmecps.platform.algorithms.td3 import TD3Config

    lr = p.get("learning_rate", 3e-4)
    return TD3Config().training(
        actor_lr=lr, critic_lr=lr, train_batch_size_per_learner=p.get("batch_size", 256),
        training_intensity=p.get("epochs"), tau=p.get("tau", 0.005), policy_delay=p.get("policy_delay", 2),
        target_noise=p.get("target_noise", 0.2), exploration_noise=p.get("exploration_noise", 0.1),
        num_steps_sampled_before_learning_starts=p.get("learning_starts", 1000),
    ).rl_module(model_config={"fcnet_hiddens": [128, 128], "network": p.get("network", "mlp")})


def q_learning(p: dict[str, Any]):
    from lwmecps.platform.algorithms.q_learning import QLearningConfig

    return QLearningConfig().training(
        lr=p.get("learning_rate", 0.1), train_batch_size_per_learner=p.get("batch_size", 2304),
        num_epochs=p.get("epochs", 1), epsilon_start=p.get("epsilon_start", 1.0),
        epsilon_end=p.get("epsilon_end", 0.05), epsilon_decay_steps=p.get("epsilon_decay_steps", 100_000),
        credit=p.get("credit", "shared"),
    ).rl_module(model_config={"tod_bins": p.get("tod_bins", 8), "load_bins": p.get("load_bins"),
                              "replica_state": p.get("replica_state", True)})


def appo(p: dict[str, Any]):
    from ray.rllib.algorithms.appo import APPOConfig

    return APPOConfig().training(lr=p.get("learning_rate", 5e-4), train_batch_size_per_learner=p.get(
        "train_batch_size", 2304), vf_loss_coeff=0.5).rl_module(model_config={"fcnet_hiddens": [64, 64]})


def impala(p: dict[str, Any]):
    from ray.rllib.algorithms.impala import IMPALAConfig

    return IMPALAConfig().training(lr=p.get("learning_rate", 5e-4), train_batch_size_per_learner=p.get(
        "train_batch_size", 2304), vf_loss_coeff=0.5).rl_module(model_config={"fcnet_hiddens": [64, 64]})


def tqc(p: dict[str, Any]):
    from ray.rllib.algorithms.tqc import TQCConfig

    lr = p.get("learning_rate", 3e-4)
    return TQCConfig().training(
        actor_lr=lr, critic_lr=lr, alpha_lr=lr, train_batch_size_per_learner=p.get("batch_size", 256),
        training_intensity=p.get("epochs"), num_steps_sampled_before_learning_starts=p.get("learning_starts", 1000),
        replay_buffer_config={"type": "EpisodeReplayBuffer", "capacity": 50000},
    ).rl_module(model_config={"fcnet_hiddens": [128, 128]})

"""How each model type's RLlib ``AlgorithmConfig`` is built from its resolved parameters (defaults from
``configs/algorithms/<type>.yaml`` already filled in by ``registry.ModelType.resolve``: no default is
stated here; ``p.get`` only for keys whose absence means RLlib's own default or, for Q-learning's
``load_bins``, the fixed bins). One function
per type; ``registry.MODEL_TYPES`` names them and ``registry.build_config`` adds what every type
shares (env, EnvRunners, learners, fault tolerance, callbacks, seed)."""
from __future__ import annotations

from typing import Any


DEFAULT_LR_DECAY_STEPS = 1_000_000


def _lr_schedule(p: dict[str, Any]):
    """``learning_rate``, or with ``learning_rate_end`` RLlib's schedule: linear from ``learning_rate``
    at env step 0 to ``learning_rate_end`` at ``lr_decay_steps`` (default 1e6), then held."""
    if p.get("learning_rate_end") is None:
        return p["learning_rate"]
    return [[0, p["learning_rate"]], [p.get("lr_decay_steps") or DEFAULT_LR_DECAY_STEPS, p["learning_rate_end"]]]


def ppo(p: dict[str, Any]):
    from ray.rllib.algorithms.ppo import PPOConfig

    config = PPOConfig().training(
        lr=_lr_schedule(p), minibatch_size=p["batch_size"], num_epochs=p["epochs"],
        train_batch_size_per_learner=p["train_batch_size"], lambda_=p["lambda"],
        # returns are ~ -600 per day: an unclipped value loss (RLlib's default clip of 10 pinned it)
        vf_clip_param=1e4, entropy_coeff=p["entropy_coeff"], grad_clip=p.get("grad_clip"),
    )
    if p["network"] == "symmetric":  # one shared per-node network (algorithms/symmetric.py)
        from ray.rllib.core.rl_module.rl_module import RLModuleSpec

        from lwmecps.platform.algorithms.symmetric import SymmetricNodeModule

        return config.rl_module(rl_module_spec=RLModuleSpec(module_class=SymmetricNodeModule,
                                                            model_config={"hiddens": [64, 64]}))
    return config.rl_module(model_config={"fcnet_hiddens": [64, 64]})


def dqn(p: dict[str, Any]):
    from ray.rllib.algorithms.dqn import DQNConfig

    config = DQNConfig().training(
        lr=p["learning_rate"], train_batch_size_per_learner=p["batch_size"],
        training_intensity=p.get("epochs"), n_step=p["n_step"], double_q=True, dueling=True,
        num_steps_sampled_before_learning_starts=p["learning_starts"],
        target_network_update_freq=p["target_update_freq"],
        replay_buffer_config={"type": "PrioritizedEpisodeReplayBuffer", "capacity": 50000},
    ).rl_module(model_config={"fcnet_hiddens": [128, 128]})
    if p["network"] in ("branched", "symmetric"):  # per-node advantages (algorithms/branched_dqn.py)
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

    lr = p["learning_rate"]
    config = SACConfig().training(
        actor_lr=lr, critic_lr=lr, alpha_lr=lr, train_batch_size_per_learner=p["batch_size"],
        training_intensity=p.get("epochs"), tau=p["tau"], initial_alpha=p["initial_alpha"],
        num_steps_sampled_before_learning_starts=p["learning_starts"],
        replay_buffer_config={"type": "PrioritizedEpisodeReplayBuffer", "capacity": 50000},
    ).rl_module(model_config={"fcnet_hiddens": [128, 128]})
    if p["network"] == "symmetric":  # one shared per-node actor and critic (symmetric_sac.py)
        from ray.rllib.algorithms.sac.torch.default_sac_torch_rl_module import DefaultSACTorchRLModule
        from ray.rllib.core.rl_module.rl_module import RLModuleSpec

        from lwmecps.platform.algorithms.symmetric_sac import SymmetricSACCatalog

        config = config.rl_module(rl_module_spec=RLModuleSpec(module_class=DefaultSACTorchRLModule,
                                                              catalog_class=SymmetricSACCatalog))
    return config


def td3(p: dict[str, Any]):
    from lwmecps.platform.algorithms.td3 import TD3Config

    lr = p["learning_rate"]
    return TD3Config().training(
        actor_lr=lr, critic_lr=lr, train_batch_size_per_learner=p["batch_size"],
        training_intensity=p.get("epochs"), tau=p["tau"], policy_delay=p["policy_delay"],
        target_noise=p["target_noise"], exploration_noise=p["exploration_noise"], n_step=p["n_step"],
        num_steps_sampled_before_learning_starts=p["learning_starts"], credit=p["credit"],
    ).rl_module(model_config={"fcnet_hiddens": [128, 128], "network": p["network"],
                              "critic_actions": td3_critic_actions(p)})


def td3_critic_actions(p: dict[str, Any]) -> str:
    """TD3's ``critic_actions``: as set, or unset, ``"own"`` for per-station heads on the MLP, else ``"all"``."""
    if p.get("critic_actions"):
        return p["critic_actions"]
    return "own" if p.get("credit") == "station" and p.get("network", "mlp") == "mlp" else "all"


def q_learning(p: dict[str, Any]):
    from lwmecps.platform.algorithms.q_learning import QLearningConfig

    return QLearningConfig().training(
        lr=p["learning_rate"], train_batch_size_per_learner=p["batch_size"],
        num_epochs=p["epochs"], epsilon_start=p["epsilon_start"],
        epsilon_end=p["epsilon_end"], epsilon_decay_steps=p["epsilon_decay_steps"],
        credit=p["credit"],
    ).rl_module(model_config={"tod_bins": p["tod_bins"], "load_bins": p.get("load_bins"),
                              "replica_state": p["replica_state"], "load_signal": p["load_signal"],
                              "greedy_average": p["greedy_average"]})


def appo(p: dict[str, Any]):
    from ray.rllib.algorithms.appo import APPOConfig

    return APPOConfig().training(lr=p["learning_rate"], train_batch_size_per_learner=p["train_batch_size"],
                                 vf_loss_coeff=0.5).rl_module(model_config={"fcnet_hiddens": [64, 64]})


def impala(p: dict[str, Any]):
    from ray.rllib.algorithms.impala import IMPALAConfig

    return IMPALAConfig().training(lr=p["learning_rate"], train_batch_size_per_learner=p["train_batch_size"],
                                 vf_loss_coeff=0.5).rl_module(model_config={"fcnet_hiddens": [64, 64]})


def tqc(p: dict[str, Any]):
    from ray.rllib.algorithms.tqc import TQCConfig

    lr = p["learning_rate"]
    return TQCConfig().training(
        actor_lr=lr, critic_lr=lr, alpha_lr=lr, train_batch_size_per_learner=p["batch_size"],
        training_intensity=p.get("epochs"), num_steps_sampled_before_learning_starts=p["learning_starts"],
        replay_buffer_config={"type": "EpisodeReplayBuffer", "capacity": 50000},
    ).rl_module(model_config={"fcnet_hiddens": [128, 128]})

"""The env creator RLlib calls on every EnvRunner, and the action adapter per model type.

``env_config``: ``group`` (workload group), ``params`` (``EnvParams`` overrides), ``adapter``
(``None`` | ``"flat"`` | ``"continuous"``) and, from RLlib's ``vector_entry_point`` mode,
``num_envs``: then the batched simulator serves all of the runner's envs in one call.
``reward`` (``{"scale": s, "offset": c0}``, optional): the algorithms learn from
``r' = s * (r + c0) = -s * (cost - c0)`` instead of the env's ``r = -cost``. The optimal policy is
the same (an affine map of every step's reward over a fixed horizon), but returns near 0 and of
order 1 let value networks and critics (Adam-stepped from a zero-ish output) fit in far fewer
updates than returns of -200; episode returns reported to users are recomputed from the env's
``info["cost"]`` (``EpisodeMetricsCallback``), so they stay ``-cost``.
"""
from __future__ import annotations

from typing import Any

ENV_NAME = "lwmecps-edge-cluster"


def make_edge_env(config: dict[str, Any]):
    from lwmecps.envs import EdgeClusterEnv
    from lwmecps.envs.adapters import ContinuousAction, FlatDiscreteAction
    from lwmecps.envs.vector import EdgeClusterVectorEnv

    import gymnasium as gym

    cfg = dict(config)
    adapter = cfg.get("adapter")
    group, params = cfg.get("group", "profile-a"), cfg.get("params")
    scale, offset = float((cfg.get("reward") or {}).get("scale", 1.0)), float((cfg.get("reward") or {}).get("offset", 0.0))
    if "num_envs" in cfg:
        if adapter:
            raise ValueError("the batched simulator takes MultiDiscrete actions; adapters need sync vectorisation")
        vec = EdgeClusterVectorEnv(num_envs=int(cfg["num_envs"]), group=group, params=params)
        if (scale, offset) == (1.0, 0.0):
            return vec
        return gym.wrappers.vector.TransformReward(vec, lambda r: scale * (r + offset))
    env = EdgeClusterEnv(group=group, params=params)
    if adapter == "flat":
        env = FlatDiscreteAction(env)
    elif adapter == "continuous":
        env = ContinuousAction(env)
    if (scale, offset) != (1.0, 0.0):
        env = gym.wrappers.TransformReward(env, lambda r: scale * (r + offset))
    return env


def register() -> str:
    """Register the creator with Ray Tune's registry (idempotent); returns the env name."""
    from ray.tune.registry import register_env

    register_env(ENV_NAME, make_edge_env)
    return ENV_NAME

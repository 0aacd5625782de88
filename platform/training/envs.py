"""The env creator RLlib calls on every EnvRunner, and the action adapter per model type.

``env_config``: ``group`` (workload group), ``params`` (``EnvParams`` overrides), ``adapter``
(``None`` | ``"flat"`` | ``"continuous"``) and, from RLlib's ``vector_entry_point`` mode,
``num_envs``: then the batched simulator serves all of the runner's envs in one call.
"""
from __future__ import annotations

from typing import Any

ENV_NAME = "lwmecps-edge-cluster"


def make_edge_env(config: dict[str, Any]):
    from lwmecps.envs import EdgeClusterEnv
    from lwmecps.envs.adapters import ContinuousAction, FlatDiscreteAction
    from lwmecps.envs.vector import EdgeClusterVectorEnv

    cfg = dict(config)
    adapter = cfg.get("adapter")
    group, params = cfg.get("group", "profile-a"), cfg.get("params")
    if "num_envs" in cfg:
        if adapter:
            raise ValueError("the batched simulator takes MultiDiscrete actions; adapters need sync vectorisation")
        return EdgeClusterVectorEnv(num_envs=int(cfg["num_envs"]), group=group, params=params)
    env = EdgeClusterEnv(group=group, params=params)
    if adapter == "flat":
        return FlatDiscreteAction(env)
    if adapter == "continuous":
        return ContinuousAction(env)
    return env


def register() -> str:
    """Register the creator with Ray Tune's registry (idempotent); returns the env name."""
    from ray.tune.registry import register_env

    register_env(ENV_NAME, make_edge_env)
    return ENV_NAME

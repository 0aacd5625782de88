"""Map a model type's actions back to replicas (the inverse of its action adapter)."""
from __future__ import annotations

from typing import Callable

import numpy as np


def to_env_for(model_type: str, group: str) -> Callable[[np.ndarray], np.ndarray] | None:
    from lwmecps.envs import EdgeClusterEnv
    from lwmecps.envs.adapters import ContinuousAction, FlatDiscreteAction

    from .registry import get_model_type

    adapter = get_model_type(model_type).adapter
    if adapter == "flat":
        wrapper = FlatDiscreteAction(EdgeClusterEnv(group))
        return lambda a: wrapper.to_replicas(int(np.asarray(a).reshape(-1)[0]))
    if adapter == "continuous":
        wrapper = ContinuousAction(EdgeClusterEnv(group))
        return wrapper.to_replicas
    return None

"""Map a model type's actions back to replicas (the inverse of its action adapter): a pure function
of the cluster's shape (max replicas per node)."""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np


def action_nvec(group) -> np.ndarray:
    """Replica levels per node (``max_j + 1``) of ``group`` (a shipped group's name or a ``WorkloadGroup``)."""
    from lwmecps.envs import EnvParams, as_group
    from lwmecps.envs.cluster import node_capacities

    return np.asarray(node_capacities(as_group(group), EnvParams.load()), dtype=np.int64) + 1


def to_env_for(model_type: str, group=None, max_replicas: Sequence[int] | None = None
               ) -> Callable[[np.ndarray], np.ndarray] | None:
    """The inverse adapter of ``model_type`` for nodes of ``max_replicas`` (or, when not given, the
    shape of ``group``: a shipped group's name or a ``WorkloadGroup``); None for ``MultiDiscrete``
    policies, which act in replicas already."""
    from lwmecps.envs.adapters import continuous_to_replicas, flat_to_replicas

    from .registry import get_model_type

    adapter = get_model_type(model_type).adapter
    if adapter is None:
        return None
    nvec = action_nvec(group) if max_replicas is None else np.asarray(max_replicas, dtype=np.int64) + 1
    if adapter == "flat":
        return lambda a: flat_to_replicas(int(np.asarray(a).reshape(-1)[0]), nvec)
    return lambda x: continuous_to_replicas(x, nvec)

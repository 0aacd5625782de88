"""A policy's action back to replicas per node: a pure function of its action space and the nodes'
replica levels (``max_j + 1``), the inverse of the env's action adapters (``lwmecps.envs.adapters``).

* ``Discrete(prod(nvec))`` (DQN, tabular Q-learning on the flat adapter): the mixed-radix digits;
* ``Box(-1, 1, (n,))`` (SAC, TD3, TQC on the continuous adapter): ``round((x + 1) / 2 * max_j)``;
* ``MultiDiscrete`` (PPO, APPO, IMPALA): the action is the replicas already (``None``: nothing to invert).

What a served replica or an evaluation needs is the module's own ``action_space`` and the shape a
checkpoint records (``max_replicas``): no env, no group, no model-type table.
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
from gymnasium import spaces

ADAPTER_OF_SPACE = {spaces.Discrete: "flat", spaces.Box: "continuous", spaces.MultiDiscrete: None}


def adapter_of(action_space: spaces.Space) -> str | None:
    """``"flat"``, ``"continuous"`` or None (MultiDiscrete) for a policy's action space."""
    for kind, adapter in ADAPTER_OF_SPACE.items():
        if isinstance(action_space, kind):
            return adapter
    raise TypeError(f"no replica mapping for the action space {action_space}")


def action_nvec(group) -> np.ndarray:
    """Replica levels per node (``max_j + 1``) of ``group`` (a shipped group's name or a ``WorkloadGroup``)."""
    from lwmecps.envs import EnvParams, as_group
    from lwmecps.envs.cluster import node_capacities

    return np.asarray(node_capacities(as_group(group), EnvParams.load()), dtype=np.int64) + 1


def to_replicas(adapter: str | None, max_replicas: Sequence[int]) -> Callable[[np.ndarray], np.ndarray] | None:
    """The inverse of ``adapter`` for nodes of ``max_replicas``; None for ``MultiDiscrete`` policies."""
    from lwmecps.envs.adapters import continuous_to_replicas, flat_to_replicas

    if adapter is None:
        return None
    nvec = np.asarray(max_replicas, dtype=np.int64) + 1
    if adapter == "flat":
        return lambda a: flat_to_replicas(int(np.asarray(a).reshape(-1)[0]), nvec)
    if adapter == "continuous":
        return lambda x: continuous_to_replicas(x, nvec)
    raise ValueError(f"unknown action adapter {adapter!r}")

"""Action adapters shared by every algorithm that cannot act in ``MultiDiscrete`` directly.

* ``FlatDiscreteAction``: ``Discrete(prod(max_j + 1))`` for DQN and tabular Q-learning; index ``i``
  is the mixed-radix number whose digits (most significant first) are the replicas per node.
* ``ContinuousAction``: ``Box(-1, 1, (n,))`` for TD3 and SAC; ``x_j`` maps to
  ``round((x_j + 1) / 2 * max_j)`` replicas (clipped), and replicas ``k`` back to ``2 k / max_j - 1``.

Both are Gymnasium ``ActionWrapper``s and expose exact ``to_replicas`` / ``from_replicas`` maps.
"""
from __future__ import annotations

import gymnasium as gym
import numpy as np
from gymnasium import spaces


def _radix(nvec: np.ndarray) -> np.ndarray:
    return np.cumprod(np.concatenate([[1], nvec[1:][::-1]]))[::-1].astype(np.int64)


def flat_digits(indices, nvec) -> np.ndarray:
    """Replicas per node of every flat action in ``indices``: shape ``indices.shape + (n,)`` (no range check)."""
    nvec = np.asarray(nvec, dtype=np.int64)
    return (np.asarray(indices, dtype=np.int64)[..., None] // _radix(nvec)) % nvec


def flat_to_replicas(index: int, nvec) -> np.ndarray:
    """Replicas per node of flat action ``index`` (mixed radix over ``nvec`` = max replicas + 1)."""
    size = int(np.prod(np.asarray(nvec, dtype=np.int64)))
    if not 0 <= int(index) < size:
        raise ValueError(f"flat action {index} outside 0..{size - 1}")
    return flat_digits(int(index), nvec)


def replicas_to_flat(replicas, nvec) -> int:
    """The flat action of ``replicas`` per node (the inverse of ``flat_to_replicas``)."""
    r, nvec = np.asarray(replicas, dtype=np.int64), np.asarray(nvec, dtype=np.int64)
    if r.shape != nvec.shape or (r < 0).any() or (r >= nvec).any():
        raise ValueError(f"replicas {r.tolist()} outside the space {nvec.tolist()}")
    return int((r * _radix(nvec)).sum())


def continuous_to_replicas(x, nvec) -> np.ndarray:
    """Replicas per node of a continuous action ``x`` in [-1, 1]^n: ``round((x + 1) / 2 * max)``."""
    top = (np.asarray(nvec, dtype=np.int64) - 1).astype(np.float64)
    x = np.asarray(x, dtype=np.float64)
    if x.shape != top.shape or not np.isfinite(x).all():
        raise ValueError(f"continuous action must be {len(top)} finite numbers, got {x.tolist()}")
    return np.clip(np.rint((np.clip(x, -1.0, 1.0) + 1.0) / 2.0 * top), 0, top).astype(np.int64)


def _nvec(env: gym.Env) -> np.ndarray:
    space = env.action_space
    if not isinstance(space, spaces.MultiDiscrete):
        raise TypeError(f"the adapters wrap a MultiDiscrete action space, got {space}")
    return np.asarray(space.nvec, dtype=np.int64)


class FlatDiscreteAction(gym.ActionWrapper):
    """``Discrete(prod(nvec))`` <-> ``MultiDiscrete(nvec)`` by mixed-radix encoding."""

    #: above this many joint actions a flat head stops being sensible (8 nodes of 4: 390 625)
    MAX_ACTIONS = 1_000_000

    def __init__(self, env: gym.Env):
        super().__init__(env)
        self.nvec = _nvec(env)
        size = int(np.prod(self.nvec))
        if size > self.MAX_ACTIONS:
            raise ValueError(f"flattened action space would have {size} actions (> {self.MAX_ACTIONS})")
        self.action_space = spaces.Discrete(size)

    def to_replicas(self, index: int) -> np.ndarray:
        return flat_to_replicas(index, self.nvec)

    def from_replicas(self, replicas) -> int:
        return replicas_to_flat(replicas, self.nvec)

    def action(self, action):
        return self.to_replicas(int(action))


class ContinuousAction(gym.ActionWrapper):
    """``Box(-1, 1, (n,))`` <-> ``MultiDiscrete(nvec)``: evenly spaced replica levels."""

    def __init__(self, env: gym.Env):
        super().__init__(env)
        self.nvec = _nvec(env)
        self.max = (self.nvec - 1).astype(np.float64)
        self.action_space = spaces.Box(-1.0, 1.0, shape=(len(self.nvec),), dtype=np.float32)

    def to_replicas(self, x) -> np.ndarray:
        return continuous_to_replicas(x, self.nvec)

    def from_replicas(self, replicas) -> np.ndarray:
        r = np.asarray(replicas, dtype=np.float64)
        return (2.0 * r / np.maximum(self.max, 1.0) - 1.0).astype(np.float32)

    def action(self, action):
        return self.to_replicas(action)

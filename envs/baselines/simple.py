"""Reactive baselines: random, static-k and the Kubernetes Horizontal Pod Autoscaler rule."""
from __future__ import annotations

import math
from collections import deque

import numpy as np

from ..edge_cluster import EdgeClusterEnv


class Policy:
    """A replica policy: ``reset(env)`` after each ``env.reset``, then ``act(obs, env)`` per step."""

    name = "policy"

    def reset(self, env: EdgeClusterEnv) -> None:  # noqa: B027 - optional hook
        pass

    def act(self, obs: np.ndarray, env: EdgeClusterEnv) -> np.ndarray:
        raise NotImplementedError


class RandomPolicy(Policy):
    """Uniformly random replicas per node (a floor every learned policy must clear)."""

    name = "random"

    def __init__(self, seed: int = 0):
        self._rng = np.random.default_rng(seed)

    def act(self, obs, env):
        return self._rng.integers(0, env.sim.caps + 1).astype(np.int64)


class StaticPolicy(Policy):
    """``k`` replicas on every node, always (capped at the node's capacity)."""

    def __init__(self, k: int):
        if k < 0:
            raise ValueError(f"static-k needs k >= 0, got {k}")
        self.k = k
        self.name = f"static-{k}"

    def act(self, obs, env):
        return np.minimum(env.sim.caps, self.k).astype(np.int64)


class HPAPolicy(Policy):
    """The Kubernetes HPA rule per node, on the last interval's utilisation.

    ``desired = ceil(current * utilisation / target)`` (utilisation = arrivals / capacity of the
    current replicas, as an HPA on a per-replica request-rate metric sees it), skipped while
    ``|utilisation / target - 1| <= tolerance`` (Kubernetes' default 0.1); a scale-down takes the
    highest recommendation of the last ``stabilization_s`` seconds (default 300 s: Kubernetes'
    scale-down stabilisation window); bounds ``[min_replicas, node capacity]``.
    """

    name = "hpa"

    def __init__(self, target: float = 0.8, tolerance: float = 0.1, stabilization_s: float = 300.0,
                 min_replicas: int = 1):
        if not 0 < target <= 1:
            raise ValueError(f"hpa target utilisation must be in (0, 1], got {target}")
        self.target, self.tolerance, self.stabilization_s = target, tolerance, stabilization_s
        self.min_replicas = min_replicas
        self._history: deque = deque()

    def reset(self, env):
        window = math.ceil(self.stabilization_s / env.params.decision_interval_s)
        self._history = deque(maxlen=max(1, window) + 1)  # this interval's + the window's

    def act(self, obs, env):
        return self.recommend(env.sim.replicas(), env.sim.utilisation(), env.sim.caps)

    def recommend(self, current: np.ndarray, util: np.ndarray, caps: np.ndarray) -> np.ndarray:
        """The rule on measured figures (also what an autoscaler's live target feeds it): current
        replicas and utilisation per node, the nodes' capacities; updates the stabilisation window."""
        ratio = util / self.target
        desired = np.where(np.abs(ratio - 1.0) <= self.tolerance, current,
                           np.ceil(current * ratio - 1e-9).astype(np.int64))
        desired = np.clip(desired, self.min_replicas, caps)
        self._history.append(desired)
        stabilised = np.max(np.stack(self._history), axis=0)  # highest recent recommendation
        return np.where(desired < current, np.minimum(stabilised, current), desired).astype(np.int64)

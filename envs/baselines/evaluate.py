"""Run a policy on a workload group and average the per-step figures."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..config import EnvParams
from ..edge_cluster import EdgeClusterEnv
from .simple import Policy

#: the fields ``evaluate`` returns, each a mean per step over all episodes
EVAL_FIELDS = ("cost", "latency_ms", "p95_latency_ms", "success_rate", "replicas", "reward")
#: the fields of each block of ``evaluate(..., by_hour=h)``
HOUR_FIELDS = ("users", "cost", "replicas", "failed_fraction")
#: the fields of each node of ``evaluate(..., by_node=True)``
NODE_FIELDS = ("replicas", "empty", "changes")


def hour_of_day(obs) -> float:
    """Time of day in hours (0 <= h < 24) of the interval an observation asks to decide: its last two
    entries are ``sin, cos`` of ``2 pi d / intervals per day`` (``EdgeClusterEnv``'s layout), so
    ``h = 24 atan2(sin, cos) / (2 pi) mod 24``, rounded to the second (float32 inputs must not put 02:00
    in the block before it)."""
    angle = float(np.arctan2(float(obs[-2]), float(obs[-1])))
    return round((angle / (2.0 * np.pi) * 24.0) % 24.0 * 3600.0) / 3600.0 % 24.0


class _HourBlocks:
    """Sums of ``HOUR_FIELDS`` per block of ``hours`` hours of the time of day."""

    def __init__(self, hours: float):
        if not (isinstance(hours, (int, float)) and 0 < hours <= 24):
            raise ValueError(f"by_hour must be a block length in hours in (0, 24], got {hours!r}")
        self.hours = float(hours)
        self.sums: dict[int, np.ndarray] = {}

    def add(self, hour: float, info: dict) -> None:
        row = self.sums.setdefault(int(hour // self.hours), np.zeros(len(HOUR_FIELDS) + 1))
        row += [info["users"], info["cost"], info["replicas_total"], info["failed_fraction"], 1.0]

    def blocks(self) -> list[dict[str, float]]:
        """``[{"hour": start (h), "steps": n, "users": .., "cost": .., "replicas": .., "failed_fraction": ..}]``:
        per-step means over the steps whose interval starts in ``[hour, hour + block)``, by ``hour``."""
        return [{"hour": k * self.hours, "steps": int(row[-1]),
                 **{f: float(v / row[-1]) for f, v in zip(HOUR_FIELDS, row[:-1])}}
                for k, row in sorted(self.sums.items())]


class _NodeStats:
    """Per node: sums of its replicas, of steps at 0 replicas and of steps that changed its count."""

    def __init__(self, names: list[str]):
        self.names = names
        self.sums = np.zeros((len(names), len(NODE_FIELDS)))
        self.steps = 0

    def add(self, before: np.ndarray, after: np.ndarray) -> None:
        self.sums += np.stack([after, after == 0, after != before], axis=1)
        self.steps += 1

    def nodes(self) -> list[dict[str, Any]]:
        """``[{"node": name, "replicas": mean per step, "empty": share of steps at 0 replicas (its users
        served by the nearest node with replicas), "changes": share of steps that changed its count}]``."""
        return [{"node": name, **{f: float(v / self.steps) for f, v in zip(NODE_FIELDS, row)}}
                for name, row in zip(self.names, self.sums)]


def evaluate(policy: Policy, group: str = "profile-a", seed: int = 0, episodes: int = 1,
             params: EnvParams | dict | None = None, env: EdgeClusterEnv | None = None,
             on_step: Callable[[int, dict], None] | None = None, by_hour: float | None = None,
             by_node: bool = False) -> dict[str, Any]:
    """Mean per-step ``cost``, ``latency_ms``, ``p95_latency_ms``, ``success_rate``, ``replicas``
    (total per step) and ``reward`` of ``policy`` over ``episodes`` episodes.

    Episode ``e`` is reset with seed ``seed + e``, so every policy evaluated with the same
    arguments meets the very same workloads (start times and noise).

    A policy that sets ``bound`` in ``reset`` (``oracle``: a lower bound on any policy's total cost
    of the episode, not a plan's cost) reports that bound as ``cost`` (and ``-bound`` as
    ``reward``); the figures of the plan it plays are then not the bound's, so ``latency_ms``,
    ``p95_latency_ms``, ``success_rate`` and ``replicas`` are ``None`` and the executed plan's cost
    is ``plan_cost``.

    ``by_hour`` (hours): also ``"by_hour"``, the same run in blocks of the time of day (``_HourBlocks.blocks``:
    mean users, cost, total replicas and failed fraction per step of each block), to see *when* a policy
    gains or loses against another; ``None`` for a bound (its cost is not a sum of steps).

    ``by_node``: also ``"by_node"``, per node its mean replicas, the share of steps it ran none (``empty``:
    a consolidation, its station's users served by the nearest node with replicas) and the share of steps
    that changed its count (``_NodeStats.nodes``), to see *where* a policy spends replicas; ``None`` for a
    bound.
    """
    if not isinstance(episodes, (int, np.integer)) or episodes < 1:
        raise ValueError(f"episodes must be a positive integer, got {episodes!r}")
    hours = _HourBlocks(by_hour) if by_hour is not None else None
    env = env or EdgeClusterEnv(group=group, params=params)
    nodes = _NodeStats([nd.name for nd in env.sim.group.spec.nodes]) if by_node else None
    sums = dict.fromkeys(EVAL_FIELDS, 0.0)
    steps, bound = 0, None
    for ep in range(episodes):
        obs, _ = env.reset(seed=seed + ep)
        policy.reset(env)
        if getattr(policy, "bound", None) is not None:
            bound = (bound or 0.0) + policy.bound
        done = False
        while not done:
            hour = hour_of_day(obs) if hours is not None else 0.0
            before = env.sim.replicas() if nodes is not None else None  # a copy of the state
            obs, reward, terminated, truncated, info = env.step(policy.act(obs, env))
            done = terminated or truncated
            sums["cost"] += info["cost"]
            sums["latency_ms"] += info["latency_ms"]
            sums["p95_latency_ms"] += info["p95_latency_ms"]
            sums["success_rate"] += info["success_rate"]
            sums["replicas"] += info["replicas_total"]
            sums["reward"] += reward
            steps += 1
            if hours is not None:
                hours.add(hour, info)
            if nodes is not None:
                nodes.add(before, env.sim.replicas())
            if on_step is not None:
                on_step(steps, info)
    out: dict[str, Any] = {k: v / steps for k, v in sums.items()}
    out.update(episodes=int(episodes), steps=steps)
    if hours is not None:
        out["by_hour"] = hours.blocks() if bound is None else None
    if nodes is not None:
        out["by_node"] = nodes.nodes() if bound is None else None
    if bound is not None:
        out.update({k: None for k in EVAL_FIELDS}, plan_cost=out["cost"], cost=bound / steps, reward=-bound / steps)
    return out

"""Run a policy on a workload group and average the per-step figures."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..config import EnvParams
from ..edge_cluster import EdgeClusterEnv
from .simple import Policy

#: the fields ``evaluate`` returns, each a mean per step over all episodes
EVAL_FIELDS = ("cost", "latency_ms", "p95_latency_ms", "success_rate", "replicas", "reward")


def evaluate(policy: Policy, group: str = "profile-a", seed: int = 0, episodes: int = 1,
             params: EnvParams | dict | None = None, env: EdgeClusterEnv | None = None,
             on_step: Callable[[int, dict], None] | None = None) -> dict[str, Any]:
    """Mean per-step ``cost``, ``latency_ms``, ``p95_latency_ms``, ``success_rate``, ``replicas``
    (total per step) and ``reward`` of ``policy`` over ``episodes`` episodes.

    Episode ``e`` is reset with seed ``seed + e``, so every policy evaluated with the same
    arguments meets the very same workloads (start times and noise).

    A policy that sets ``bound`` in ``reset`` (``oracle``: a lower bound on any policy's total cost
    of the episode, not a plan's cost) reports that bound as ``cost`` (and ``-bound`` as
    ``reward``); the figures of the plan it plays are then not the bound's, so ``latency_ms``,
    ``p95_latency_ms``, ``success_rate`` and ``replicas`` are ``None`` and the executed plan's cost
    is ``plan_cost``.
    """
    if not isinstance(episodes, (int, np.integer)) or episodes < 1:
        raise ValueError(f"episodes must be a positive integer, got {episodes!r}")
    env = env or EdgeClusterEnv(group=group, params=params)
    sums = dict.fromkeys(EVAL_FIELDS, 0.0)
    steps, bound = 0, None
    for ep in range(episodes):
        obs, _ = env.reset(seed=seed + ep)
        policy.reset(env)
        if getattr(policy, "bound", None) is not None:
            bound = (bound or 0.0) + policy.bound
        done = False
        while not done:
            obs, reward, terminated, truncated, info = env.step(policy.act(obs, env))
            done = terminated or truncated
            sums["cost"] += info["cost"]
            sums["latency_ms"] += info["latency_ms"]
            sums["p95_latency_ms"] += info["p95_latency_ms"]
            sums["success_rate"] += info["success_rate"]
            sums["replicas"] += info["replicas_total"]
            sums["reward"] += reward
            steps += 1
            if on_step is not None:
                on_step(steps, info)
    out: dict[str, Any] = {k: v / steps for k, v in sums.items()}
    out.update(episodes=int(episodes), steps=steps)
    if bound is not None:
        out.update({k: None for k in EVAL_FIELDS}, plan_cost=out["cost"], cost=bound / steps, reward=-bound / steps)
    return out

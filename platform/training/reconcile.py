"""Reconciliation: a trained policy stepped on (new) traffic, with the figures the API returns.

``reconcile(checkpoint, group, sample_size, train_group)`` restores the inference RLModule from the
checkpoint (no Algorithm) and steps it ``sample_size`` decision intervals on ``group`` (episodes of
one simulated day, reset with seeds ``RECONCILE_SEED + e`` until the count is reached). ``hpa`` and
``causal-oracle`` meet the very same workloads, on ``group`` and on ``train_group``.

Metrics (per decision step of 300 simulated seconds):

* ``avg_reward`` / ``reward_std``: mean / standard deviation of the step reward (= -cost);
* ``avg_latency`` / ``latency_std``: mean / standard deviation of the mean request latency, ms;
* ``avg_throughput``: mean req/s served within the timeout;
* ``success_rate``: share of all requests served within the timeout (0-1);
* ``adaptation_score = closed(group) / closed(train_group)``, where
  ``closed(g) = (cost_hpa(g) - cost_policy(g)) / (cost_hpa(g) - cost_causal_oracle(g))`` is the share
  of the gap between Kubernetes' autoscaler and the causal planner that the policy closes on ``g``.
  1.0: the policy adapts to the new traffic as well as it learned its own; below 1: it adapts
  worse; 0: no better than hpa there; above 1: better than on its own group.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

RECONCILE_SEED = 30_000  # reconciliation workloads are neither training nor evaluation seeds
STEP_FIELDS = ("reward", "cost", "latency_ms", "throughput_rps", "arrival_rps", "failed_fraction")


def run_steps(policy, group: str, steps: int, seed: int = RECONCILE_SEED) -> dict[str, np.ndarray]:
    """Per-step figures of ``policy`` over ``steps`` decision intervals of ``group``."""
    from lwmecps.envs import EdgeClusterEnv

    env = EdgeClusterEnv(group=group)
    out = {k: np.empty(steps) for k in STEP_FIELDS}
    done, episode = True, 0
    for t in range(steps):
        if done:
            obs, _ = env.reset(seed=seed + episode)
            policy.reset(env)
            episode += 1
        obs, reward, terminated, truncated, info = env.step(policy.act(obs, env))
        done = terminated or truncated
        out["reward"][t] = reward
        for key in STEP_FIELDS[1:]:
            out[key][t] = info[key]
    return out


def closed_gap(policy_cost: float, hpa_cost: float, causal_cost: float) -> float:
    """Share of the hpa -> causal-oracle cost gap the policy closes (1: as good as the planner)."""
    gap = hpa_cost - causal_cost
    if gap <= 1e-9:  # hpa already plans as well as the causal planner: nothing to close
        return 1.0 if policy_cost <= hpa_cost + 1e-9 else 0.0
    return (hpa_cost - policy_cost) / gap


def summarise(steps: dict[str, np.ndarray]) -> dict[str, float]:
    arrivals = steps["arrival_rps"].sum()
    success = 1.0 - float((steps["failed_fraction"] * steps["arrival_rps"]).sum() / arrivals) if arrivals > 0 else 0.0
    return {
        "avg_reward": float(steps["reward"].mean()),
        "avg_latency": float(steps["latency_ms"].mean()),
        "avg_throughput": float(steps["throughput_rps"].mean()),
        "success_rate": success,
        "latency_std": float(steps["latency_ms"].std()),
        "reward_std": float(steps["reward"].std()),
    }


def reconcile(checkpoint: str, group: str, sample_size: int, train_group: str) -> dict[str, Any]:
    """The reconciliation metrics (see the module docstring) plus the costs behind the score."""
    from lwmecps.envs.baselines import make_policy

    from ..algorithms.inference import load_policy

    policy, _ = load_policy(checkpoint)
    costs: dict[str, dict[str, float]] = {}
    mine = None
    for g in dict.fromkeys((group, train_group)):  # one pass when reconciling on the training group
        ran = run_steps(policy, g, sample_size)
        if g == group:
            mine = ran
        costs[g] = {"policy": float(ran["cost"].mean())}
        for name in ("hpa", "causal-oracle"):
            costs[g][name] = float(run_steps(make_policy(name), g, sample_size)["cost"].mean())
    closed = {g: closed_gap(c["policy"], c["hpa"], c["causal-oracle"]) for g, c in costs.items()}
    base = closed[train_group]
    score = closed[group] / base if abs(base) > 1e-9 else 0.0
    metrics = summarise(mine)
    metrics["adaptation_score"] = float(score) if math.isfinite(score) else 0.0
    return {"metrics": metrics, "costs": costs, "closed_gap": closed}

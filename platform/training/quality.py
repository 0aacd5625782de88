"""A trained policy's quality on its group, as stored with the model record.

* ``accuracy``: share of evaluation steps whose cost is within 5 % of the oracle's on the same
  workload (same seed, so the same start and noise): ``mean(cost_t <= 1.05 * oracle_cost_t)``;
* ``latency``: mean request latency in seconds; ``cost``: mean per-step cost;
  ``vs_oracle``: ``cost / oracle cost``.
"""
from __future__ import annotations

import numpy as np

from lwmecps.envs.baselines import OraclePolicy, evaluate
from lwmecps.envs.baselines.simple import Policy

EVAL_SEED = 10_000  # evaluation workloads are not the training seeds


def model_quality(policy: Policy, group: str, episodes: int = 1, seed: int = EVAL_SEED) -> dict[str, float]:
    costs: dict[str, list[float]] = {"policy": [], "oracle": []}
    results = {}
    for name, pol in (("policy", policy), ("oracle", OraclePolicy())):
        results[name] = evaluate(pol, group=group, seed=seed, episodes=episodes,
                                 on_step=lambda _, info, key=name: costs[key].append(info["cost"]))
    mine, best = np.array(costs["policy"]), np.array(costs["oracle"])
    return {
        "accuracy": float((mine <= 1.05 * best).mean()),
        "latency": results["policy"]["latency_ms"] / 1000.0,
        "cost": results["policy"]["cost"],
        "vs_oracle": results["policy"]["cost"] / results["oracle"]["cost"],
        "success_rate": results["policy"]["success_rate"],
    }

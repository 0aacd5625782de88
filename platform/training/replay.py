"""Replay one simulated day: a trained policy and baselines, step by step, on the very same workload.

What ``GET /api/v1/models/{id}/replay`` answers and the console draws. Every run resets the env with
the same ``seed`` and starts at midnight (``random_start`` off), so the users of every station and the
noise are the same for all: only the replicas (and what follows from them: retries, latency, cost)
differ. Per run and per decision interval (``decision_interval_s``, 5 min by default, 288 a day):

- ``replicas[t][j]``: node j's replicas during interval t;
- ``load[t][j]``: station j's requests in interval t (its users' arrivals plus retries) / node j's full
  service rate (``max_j x mu``), the observation's feature ``7j + 1`` (1.0 = node j's capacity);
- ``cost[t]``, ``latency_ms[t]`` (mean over requests), ``p95_latency_ms[t]``, ``success_rate[t]``;

and the totals: ``total_cost`` (sum of ``cost`` over the day) and ``mean_cost`` (per step).
``users[t]`` (the users of all stations) is the exogenous workload, the same for every run.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

#: baselines a replay can run beside the policy (``oracle`` is a bound, not a plan: it has no steps)
REPLAY_BASELINES = ("hpa", "hpa-tuned", "best-static", "static-trained", "causal-oracle", "oracle-plan", "random")
DEFAULT_BASELINES = ("hpa", "best-static", "causal-oracle")
STEP_SERIES = ("cost", "latency_ms", "p95_latency_ms", "success_rate")


def check_baselines(names: Sequence[str], max_replicas: int) -> list[str]:
    """The requested baselines, deduplicated in order; ``ValueError`` naming an unknown one."""
    known = [*REPLAY_BASELINES, *(f"static-{k}" for k in range(max_replicas + 1))]
    out = []
    for name in names:
        if name not in known:
            raise ValueError(f"unknown baseline {name!r} for a replay; known: {', '.join(known)}")
        if name not in out:
            out.append(name)
    return out


def interval_outcome(info: dict[str, Any], obs, n: int) -> dict[str, Any]:
    """One interval's figures from the env's ``info`` and next observation: ``STEP_SERIES``,
    ``replicas`` and ``load`` per node, ``users`` (a replayed day's step; an autoscaler's outcome)."""
    from lwmecps.envs.edge_cluster import node_feature

    out: dict[str, Any] = {k: round(float(info[k]), 4) for k in STEP_SERIES}
    out["replicas"] = [int(r) for r in info["replicas"]]
    out["load"] = [round(float(x), 4) for x in node_feature(obs, n, "load")]
    out["users"] = round(float(info["users"]), 2)
    return out


def trace(policy, group, seed: int, params) -> dict[str, Any]:
    """One day of ``policy`` on ``group`` from midnight: the module docstring's per-step series."""
    from lwmecps.envs import EdgeClusterEnv

    env = EdgeClusterEnv(group=group, params=params)
    n = env.sim.n
    obs, _ = env.reset(seed=seed)
    policy.reset(env)
    out: dict[str, list] = {k: [] for k in ("time_h", "replicas", "load", "users", *STEP_SERIES)}
    start, hours = int(env.sim.clock[0, 1]), params.decision_interval_s / 3600
    done = False
    while not done:
        out["time_h"].append(round((start + len(out["cost"])) % env.sim.intervals_per_day * hours, 4))
        obs, _, terminated, truncated, info = env.step(policy.act(obs, env))
        done = terminated or truncated
        for key, value in interval_outcome(info, obs, n).items():
            out[key].append(value)
    cost = float(np.sum(out["cost"]))
    return {**out, "total_cost": round(cost, 4), "mean_cost": round(cost / len(out["cost"]), 4)}


def replay(checkpoint: str, group, train_group, seed: int = 0,
           baselines: Sequence[str] = DEFAULT_BASELINES) -> dict[str, Any]:
    """``{"nodes", "interval_s", "steps", "time_h", "users", "load", "policies": {"model": trace,
    <baseline>: trace}}`` (``load``: the model's run's, per interval and node).

    ``group``, ``train_group``: names of shipped groups or loaded ``WorkloadGroup``s (same node shape:
    ``ShapeMismatch`` otherwise); ``train_group`` is where ``static-trained`` and ``hpa-tuned`` are
    tuned (the model's training group); ``best-static`` is searched on this very day.
    """
    from lwmecps.envs import EnvParams, as_group, check_same_shape
    from lwmecps.envs.baselines import BestStaticPolicy, make_policy
    from lwmecps.envs.cluster import node_capacities

    from ..algorithms.inference import load_policy

    params = EnvParams.load({"random_start": False})
    group, trained_on = as_group(group), as_group(train_group)
    check_same_shape(trained_on, group, params)
    names = check_baselines(baselines, int(node_capacities(group, params).max()))
    policy, _ = load_policy(checkpoint)
    runs = {"model": trace(policy, group, seed, params)}
    for name in names:
        # tuned with the default env params, as everywhere (and cached once): a rule, whatever the start
        baseline = make_policy(name, seed, train_group=trained_on)
        if isinstance(baseline, BestStaticPolicy):
            baseline.prepare(group, seed, 1, params)
        runs[name] = trace(baseline, group, seed, params)
    shared = {key: runs["model"][key] for key in ("time_h", "users")}  # the same in every run
    for run in runs.values():
        del run["time_h"], run["users"]
    return {"nodes": [nd.name for nd in group.spec.nodes], "interval_s": params.decision_interval_s,
            "steps": len(shared["users"]), **shared, "load": runs["model"]["load"], "policies": runs}

"""Training at scale in nodes: PPO on the shipped 16-node group against the baselines there.

Per training seed, as a Ray task of 1 CPU (two at once on 2 cores): PPO with its defaults (workload
randomisation on, as every task) trains on ``synthetic-16`` for ``budget_s`` seconds of training
time; every ``eval_every_s`` the greedy policy is scored on one day of the same group seeded
``SELECTION_SEED`` (days the evaluation never sees), with and without the scale-down guard, divided
by ``hpa-tuned``'s cost on that day, and the best checkpoint (and guard choice) is kept. The kept
policy then runs ``days`` days (seeds 0..days-1) that the baselines meet too: ``best-static`` (the
hindsight fixed vector, coordinate search above 1024 vectors), ``hpa``, ``hpa-tuned`` (tuned on the
group's own tuning days: no other 16-node history exists), ``causal-oracle`` (above ``JOINT_LIMIT``
configurations each node planned alone) and the ``oracle`` bound (pooled above 5^8 configurations:
see ``envs.baselines.bound``). Ratios: policy cost / baseline cost, mean and standard deviation over
seeds.
"""
from __future__ import annotations

import os
import tempfile
import time
from typing import Any, Callable

import numpy as np

from . import suites
from .train_quality import start_ray, train_one

GROUP = "synthetic-16"
BASELINES = ("best-static", "hpa", "hpa-tuned", "causal-oracle", "oracle")


def _baselines(group: str, days: int, seed: int, names: tuple[str, ...]) -> dict[str, float]:
    """The baselines' costs on ``group``, tuned on the group itself (its tuning days)."""
    return suites.baseline_costs([group], days, seed, names, train_group=group)[group]


def run(group: str = GROUP, model_type: str = "ppo", seeds: tuple[int, ...] = (1, 2), budget_s: float = 900.0,
        days: int = 4, eval_every_s: float = 30.0, parallel: int = 2, params: dict[str, Any] | None = None,
        log: Callable[[str], None] = print, selection_days: int = 1) -> dict[str, Any]:
    """``params``: task parameters over the type's defaults (checked before any work); ``selection_days``:
    days (seeds ``suites.SELECTION_SEED ..``, none of them an evaluation day) each checkpoint is scored on."""
    import ray

    from lwmecps.envs import load_group
    from lwmecps.platform.training.registry import get_model_type

    params = dict(params or {})
    get_model_type(model_type).resolve(params)  # a bad key or value fails here, not in a Ray task

    os.environ.setdefault("OMP_NUM_THREADS", "1")
    t0 = time.monotonic()
    base = _baselines(group, days, suites.EVAL_SEED, BASELINES)
    selection = {group: _baselines(group, selection_days, suites.SELECTION_SEED, ("hpa-tuned",))["hpa-tuned"]}
    log(f"{group}: baselines over {days} days in {time.monotonic() - t0:.0f} s: "
        + ", ".join(f"{n} {c:.3f}" for n, c in base.items()))
    workdir = tempfile.mkdtemp(prefix="lwmecps-bench-nodes-")
    started = start_ray(parallel)
    task = ray.remote(num_cpus=1)(train_one)
    try:
        pending = [task.remote(model_type, s, budget_s, eval_every_s, workdir, selection, [group], days, params,
                               group, selection_days) for s in seeds]
        runs = []
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            r = ray.get(done[0])
            runs.append(r)
            kept = min(r["selection_log"], key=lambda row: row[2])  # (training s, env steps, ratio)
            log(f"{model_type} seed {r['seed']}: {r['env_steps']} env steps in {r['wall_s']} s, kept the policy "
                f"of {kept[0]} s ({kept[2]:.4f}x hpa-tuned on the selection days, guard "
                f"{'on' if r['guard'] else 'off'}); cost {r['costs'][group]:.4f} "
                f"(best-static {base['best-static']:.4f}, hpa {base['hpa']:.4f})")
    finally:
        if started:
            ray.shutdown()
    costs = np.array([r["costs"][group] for r in sorted(runs, key=lambda r: r["seed"])])
    out: dict[str, Any] = {"group": group, "nodes": load_group(group).n_nodes, "model_type": model_type,
                           "cost": round(float(costs.mean()), 4), "cost_sd": round(float(costs.std()), 4)}
    for name, cost in base.items():
        key = name.replace("-", "_")
        out[f"vs_{key}"] = round(float((costs / cost).mean()), 4)
        out[f"vs_{key}_sd"] = round(float((costs / cost).std()), 4)
    out["beats_best_static_and_hpa"] = bool(out["vs_best_static"] < 1 and out["vs_hpa"] < 1)
    out["per_seed"] = {str(r["seed"]): round(r["costs"][group], 4) for r in runs}
    out["guard_per_seed"] = {str(r["seed"]): r["guard"] for r in runs}
    # The kept checkpoint's score on the selection day (policy / hpa-tuned there): the figure to compare
    # settings by, since the evaluation days must not choose anything.
    out["selection_per_seed"] = {str(r["seed"]): r["selection_best"] for r in runs}
    out["selection"] = round(float(np.mean([r["selection_best"] for r in runs])), 4)
    out["env_steps"] = int(np.mean([r["env_steps"] for r in runs]))
    out["setup"] = {"seeds": list(seeds), "budget_s": budget_s, "days": days, "eval_seeds": [0, days - 1],
                    "params": params, "selection_seed": suites.SELECTION_SEED, "selection_days": selection_days,
                    "baselines": {n: round(c, 4) for n, c in base.items()}}
    return out

"""Training quality: every spec model type x several training seeds, judged on workloads it never
trained on, against a yardstick that cannot flatter (``suites.BASELINES``).

Per (type, seed), as a Ray task of 1 CPU (two run at once on this 2-core machine): train with the
type's defaults on ``profile-a`` (training-time workload randomisation on, as every task) for
``budget_s`` seconds of training wall time; every ``eval_every_s`` evaluate the greedy policy on
the *validation* suite (one day per group, seed ``SELECTION_SEED``), with and without the scale-down
guard (``algorithms.guard``), and keep the checkpoint and guard choice with the least mean
``cost / causal-oracle`` there (training can collapse mid-way; the choice is recorded as the checkpoint's
``"guard"``, which ``load_policy`` honours). ``time_to_1_05_s``:
training time (evaluation pauses excluded) until that validation ratio first reached 1.05. The kept
policy is then evaluated on profile-a and on every *held-out* group over ``days`` days (seeds
0..days-1), where the baselines meet the very same workloads. Nothing here reads a held-out
figure to choose anything.

Kept checkpoints stay in the run's folder (``lwmecps-bench-train-*`` / ``lwmecps-validate-*`` under the temp
dir, printed when the run starts), one per (type, seed, parameter set), named
``<type>-<group>-<seed>-<params_id>`` where ``params_id`` is ``params_id(params)`` (the same in every worker
process, so two sets' checkpoints are told apart by name); each records its parameters in ``lwmecps.json``.
They can be read with ``lwmecps eval --model <folder>``.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

from . import suites

SPEC_TYPES = ("ppo", "dqn", "sac", "td3", "q_learning")
# training seconds per run on 2 CPUs; DQN's validation score still fell from 180 s (1.17-1.28 on the
# selection days) to 600 s (1.10; 1.069x causal-oracle on the validation suite, seed 1): it gets 600;
# TD3's exploration noise was chosen at 240 s, where it was still improving; SAC's selection score
# still fell after 180 s (seeds 1-2: 1.149/1.150 at 180 s, best 1.122/1.139 by 335 s; validation
# suite 1.096x causal-oracle after 360 s vs 1.112 after 180 s); with the recent-peak observation (2026-12-05,
# `lwmecps bench validate --type sac --params '{}' --seeds 1,2 --budget 300` and `--budget 600`) 1.087x after 300 s
# and 1.070x after 600 s (vs hpa-tuned 1.022 / 1.006; the selection score still fell past 400 s): it gets 600.
# With its actor on its own node's inputs (2026-12-06, `--seeds 1,2 --budget 900`): 1.063x (worst group 1.098, vs
# hpa-tuned 1.008) against 1.0626 (1.097, 1.008) after 600 s; the selection score sits at 1.07-1.11 from ~150 s
# on: 600 stays.
# TD3 the same way at 600 s: its selection score was best at 145-250 s and rose after (1.10-1.13 -> 1.14-1.16 by
# 600 s; the kept checkpoint is the best, but no later one beat it): 240 stays; its plateau (1.12-1.15 on the
# selection days from ~80 s, seeds 1-4) did not move with discount_factor 0.95 (2026-12-05). Q-learning, seeds
# 1-4 (`lwmecps bench validate --type q_learning --params '{}' --seeds 1,2,3,4 --budget 240`): 1.063x
# causal-oracle after 240 s vs 1.073 after 120 s (vs hpa-tuned 0.998 / 1.008): it gets 240; re-checked
# 2026-12-05 (same command, `--budget 480` then `--budget 240`): 1.058 (worst group 1.107) vs 1.062 (1.103),
# within the spread: 240 stays.
# (The CLI's help states these.)
DEFAULT_BUDGET_S = {"ppo": 240.0, "dqn": 600.0, "sac": 600.0, "td3": 240.0, "q_learning": 240.0}
DEFAULT_SEEDS = (1, 2, 3)


def params_id(params: dict[str, Any] | None) -> str:
    """Six hex digits naming a parameter set, stable across processes (``hash`` is salted per process)."""
    return hashlib.sha1(json.dumps(params or {}, sort_keys=True).encode()).hexdigest()[:6]


def train_one(model_type: str, seed: int, budget_s: float, eval_every_s: float, workdir: str,
              selection_base: dict[str, float], eval_groups: list[str], days: int,
              params: dict[str, Any] | None = None, train_group: str = suites.TRAIN_GROUP,
              selection_days: int = 1) -> dict[str, Any]:
    """Train on ``train_group``, select on ``selection_base`` (``{group: cost it is divided by}``:
    the validation suite's causal-oracle, over ``selection_days`` days from ``suites.SELECTION_SEED``),
    evaluate the kept policy (see the module docstring); ``params``: the task parameters (default: the
    type's defaults)."""
    os.environ["OMP_NUM_THREADS"] = "1"
    from lwmecps.platform.algorithms.inference import load_policy, save_checkpoint
    from lwmecps.platform.training.envs import register
    from lwmecps.platform.training.policy_adapters import acting_policy
    from lwmecps.platform.training.registry import build_config

    register()
    params = params or {}
    algo = build_config(model_type, params, train_group, seed=seed).build_algo()
    path = Path(workdir) / f"{model_type}-{train_group}-{seed}-{params_id(params)}"
    best, steps, trained, reached, log, kept_guard = float("inf"), 0, 0.0, None, [], True
    try:
        last_eval = 0.0
        while trained < budget_s:
            t0 = time.monotonic()
            result = algo.train()
            trained += time.monotonic() - t0
            steps = int(result.get("env_runners", {}).get("num_env_steps_sampled_lifetime", steps) or steps)
            if trained - last_eval < eval_every_s and trained < budget_s:
                continue
            last_eval = trained
            # scored as it will act, with and without the scale-down guard; without it only when strictly
            # better (on a tie the guard never acted on these days: keep it for the days it would)
            module = algo.get_module()
            on, off = (selection_ratio(acting_policy(module, model_type, train_group, g, params), selection_base,
                                       selection_days) for g in (True, False))
            ratio, guard = (on, True) if on <= off else (off, False)
            if reached is None and ratio <= 1.05:
                reached = round(trained, 1)
            if ratio < best:
                best, kept_guard = ratio, guard
                save_checkpoint(algo, path, {"model_type": model_type, "group_id": train_group, "seed": seed,
                                             "guard": guard, "params": params})
            log.append((round(trained, 1), steps, round(ratio, 4)))
    finally:
        algo.stop()
    policy, _ = load_policy(path)
    return {"model_type": model_type, "seed": seed, "env_steps": steps, "wall_s": round(trained, 1),
            "time_to_1_05_s": reached, "selection_best": round(best, 4), "selection_log": log, "guard": kept_guard,
            "checkpoint": str(path), "costs": suites.policy_costs(policy, eval_groups, days)}


def selection_ratio(policy, selection_base: dict[str, float], days: int = 1) -> float:
    """Mean over the selection groups of ``policy``'s cost on the selection days (``days`` from
    ``suites.SELECTION_SEED``) / ``selection_base[g]`` (a baseline's cost on the same days)."""
    from lwmecps.envs.baselines import evaluate

    return sum(evaluate(policy, g, seed=suites.SELECTION_SEED, episodes=days)["cost"] / c
               for g, c in selection_base.items()) / len(selection_base)


def start_ray(parallel: int) -> bool:
    """A local Ray of ``parallel`` CPUs for the benchmark's runs, unless one is up; True if started here."""
    import ray

    if ray.is_initialized():
        return False
    ray.init(num_cpus=parallel, include_dashboard=False, log_to_driver=False, logging_level="ERROR",
             _temp_dir=tempfile.mkdtemp(prefix="ray", dir="/tmp"))
    return True


def run(model_types: tuple[str, ...] = SPEC_TYPES, budget_s: dict[str, float] | float | None = None,
        seeds: tuple[int, ...] = DEFAULT_SEEDS, days: int = 4, eval_every_s: float = 20.0,
        parallel: int = 2, log: Callable[[str], None] = print) -> dict[str, Any]:
    import ray

    os.environ.setdefault("OMP_NUM_THREADS", "1")
    budgets = {t: (budget_s if isinstance(budget_s, (int, float)) else (budget_s or {}).get(t, DEFAULT_BUDGET_S[t]))
               for t in model_types}
    groups = suites.suites()
    eval_groups = [suites.TRAIN_GROUP, *groups["heldout"]]
    t0 = time.monotonic()
    base = suites.baseline_costs(eval_groups, days)
    selection = suites.selection_base(groups["validation"])
    log(f"baselines on {len(eval_groups)} groups x {days} days in {time.monotonic() - t0:.0f} s: "
        + "; ".join(f"{g}: " + ", ".join(f"{n} {c:.3f}" for n, c in b.items()) for g, b in base.items()))
    workdir = tempfile.mkdtemp(prefix="lwmecps-bench-train-")
    log(f"kept checkpoints go to {workdir} (kept after the run; remove it when done)")
    started = start_ray(parallel)
    task = ray.remote(num_cpus=1)(train_one)
    try:
        pending = [task.remote(t, s, budgets[t], eval_every_s, workdir, selection, eval_groups, days)
                   for t in model_types for s in seeds]
        runs: list[dict[str, Any]] = []
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            r = ray.get(done[0])
            runs.append(r)
            log(f"{r['model_type']} seed {r['seed']}: {r['env_steps']} env steps in {r['wall_s']} s, validation "
                f"{r['selection_best']}, reached 1.05x at {r['time_to_1_05_s']} s; profile-a "
                f"{r['costs'][suites.TRAIN_GROUP] / base[suites.TRAIN_GROUP]['causal-oracle']:.4f}x causal-oracle "
                f"({len(runs)}/{len(runs) + len(pending)}); kept {r['checkpoint']}")
    finally:
        if started:
            ray.shutdown()
    out: dict[str, Any] = {t: suites.summarise([r for r in runs if r["model_type"] == t], base, groups["heldout"])
                           for t in model_types}
    out["best_vs_causal_a"] = min(out[t]["vs_causal_a"] for t in model_types)
    out["best_vs_causal_heldout"] = min(out[t]["vs_causal_heldout"] for t in model_types)
    out["seeds"] = list(seeds)
    out["misses"] = suites.misses({t: out[t] for t in model_types}, groups["heldout"])
    out["setup"] = {"days": days, "eval_seeds": [suites.EVAL_SEED, suites.EVAL_SEED + days - 1],
                    "budget_s": budgets, "validation": groups["validation"], "heldout": groups["heldout"],
                    "baselines": {g: {n: round(c, 4) for n, c in b.items()} for g, b in base.items()}}
    return out

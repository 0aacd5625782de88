"""Training quality: every model type trained with its defaults on ``profile-a``, judged against
the baselines on ``profile-a`` and on ``profile-b`` (never trained on), in one run.

Per type: train for ``budget_s`` seconds of wall time (2 CPUs, ``OMP_NUM_THREADS=1``); every
``eval_every_s`` evaluate the greedy policy on a selection workload (profile-a, seed 20 000) and keep
the best checkpoint (training can collapse mid-way). The kept policy is then evaluated on fresh
workloads (seeds 0..episodes-1) on both profiles, where ``causal-oracle``, ``oracle`` and ``hpa``
are evaluated too. Ratios are per-step mean costs: ``vs_causal_a = cost_a / causal_oracle_a``.
"""
from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

SPEC_TYPES = ("ppo", "dqn", "sac", "td3", "q_learning")
SELECTION_SEED = 20_000
DEFAULT_BUDGET_S = {"ppo": 600.0, "dqn": 180.0, "sac": 180.0, "td3": 180.0, "q_learning": 120.0}


def _train_one(model_type: str, budget_s: float, eval_every_s: float, workdir: Path,
               log: Callable[[str], None]) -> tuple[Path, int, float]:
    from lwmecps.envs.baselines import evaluate
    from lwmecps.platform.algorithms.inference import save_checkpoint
    from lwmecps.platform.algorithms.policy import RLModulePolicy
    from lwmecps.platform.training.envs import register
    from lwmecps.platform.training.policy_adapters import to_env_for
    from lwmecps.platform.training.registry import build_config

    register()
    algo = build_config(model_type, {}, "profile-a").build_algo()
    to_env = to_env_for(model_type, "profile-a")
    best, best_path, steps = float("inf"), workdir / model_type, 0
    t0 = last_eval = time.monotonic()
    try:
        while True:
            result = algo.train()
            steps = int(result.get("env_runners", {}).get("num_env_steps_sampled_lifetime", steps) or steps)
            now = time.monotonic()
            if now - last_eval >= eval_every_s or now - t0 >= budget_s:
                last_eval = now
                cost = evaluate(RLModulePolicy(algo.get_module(), to_env), "profile-a", seed=SELECTION_SEED)["cost"]
                if cost < best:
                    best = cost
                    save_checkpoint(algo, best_path, {"model_type": model_type, "group_id": "profile-a"})
                log(f"{model_type}: {now - t0:5.0f} s, {steps} env steps, selection cost {cost:.3f} (best {best:.3f})")
            if now - t0 >= budget_s:
                return best_path, steps, now - t0
    finally:
        algo.stop()


def run(model_types: tuple[str, ...] = SPEC_TYPES, budget_s: dict[str, float] | float | None = None,
        eval_every_s: float = 30.0, episodes: int = 2, log: Callable[[str], None] = print) -> dict[str, Any]:
    import ray

    from lwmecps.envs.baselines import evaluate, make_policy
    from lwmecps.platform.algorithms.inference import load_policy

    os.environ.setdefault("OMP_NUM_THREADS", "1")
    budgets = {t: (budget_s if isinstance(budget_s, (int, float)) else (budget_s or {}).get(t, DEFAULT_BUDGET_S[t]))
               for t in model_types}
    baselines = {}
    for group in ("profile-a", "profile-b"):
        for name in ("causal-oracle", "oracle", "hpa", "random", "static-1"):
            baselines[(group, name)] = evaluate(make_policy(name), group, seed=0, episodes=episodes)["cost"]
    log("baselines: " + ", ".join(f"{g}/{n} {c:.3f}" for (g, n), c in baselines.items()))
    workdir = Path(tempfile.mkdtemp(prefix="lwmecps-bench-train-"))
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR",
             _temp_dir=tempfile.mkdtemp(prefix="ray", dir="/tmp"))
    out: dict[str, Any] = {}
    try:
        for model_type in model_types:
            path, steps, wall = _train_one(model_type, budgets[model_type], eval_every_s, workdir, log)
            policy, _ = load_policy(path)
            a = evaluate(policy, "profile-a", seed=0, episodes=episodes)["cost"]
            b = evaluate(policy, "profile-b", seed=0, episodes=episodes)["cost"]
            out[model_type] = {
                "vs_causal_a": round(a / baselines[("profile-a", "causal-oracle")], 4),
                "vs_causal_b": round(b / baselines[("profile-b", "causal-oracle")], 4),
                "vs_oracle_a": round(a / baselines[("profile-a", "oracle")], 4),
                "vs_hpa_a": round(a / baselines[("profile-a", "hpa")], 4),
                "below_random_and_static1": bool(a < baselines[("profile-a", "random")]
                                                 and a < baselines[("profile-a", "static-1")]),
                "cost_a": round(a, 4), "cost_b": round(b, 4), "env_steps": steps, "wall_s": round(wall, 1),
            }
            log(f"{model_type}: {out[model_type]}")
    finally:
        ray.shutdown()
    out["best_vs_causal_a"] = min(out[t]["vs_causal_a"] for t in model_types)
    out["best_vs_causal_b"] = min(out[t]["vs_causal_b"] for t in model_types)
    out["baselines"] = {f"{g}/{n}": round(c, 4) for (g, n), c in baselines.items()}
    return out

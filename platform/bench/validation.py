"""Choosing defaults on the validation suite: one model type, several parameter sets, several seeds.

Every default in ``configs/algorithms/`` and the randomisation ranges of ``params.COMMON_PARAMS``
is chosen here, never on the held-out suite. Each (parameter set, seed) trains on profile-a for
``budget_s`` seconds exactly as ``lwmecps bench train`` does (``train_quality.train_one``: the
checkpoint kept by its validation score on the selection days ``suites.SELECTION_SEED``), then is
evaluated on the validation groups over ``days`` other days (seeds ``EVAL_SEED ..``). Reported per
parameter set: cost / baseline for causal-oracle, best-static and hpa-tuned, the mean over the
validation groups of the seed-mean ratio, its worst group and the per-group values.
"""
from __future__ import annotations

import tempfile
from typing import Any, Callable

import numpy as np

from . import suites, train_quality

YARDSTICK = ("causal-oracle", "best-static", "hpa-tuned")


def summarise(runs: list[dict[str, float]], base: dict[str, dict[str, float]]) -> dict[str, Any]:
    """``runs``: ``{group: cost}`` per seed; ``base``: ``{group: {baseline: cost}}`` -> ratios."""
    out: dict[str, Any] = {}
    for name in YARDSTICK:
        per_group = {g: float(np.mean([r[g] / base[g][name] for r in runs])) for g in base}
        out[f"vs_{name.replace('-', '_')}"] = round(float(np.mean(list(per_group.values()))), 4)
        out[f"vs_{name.replace('-', '_')}_worst"] = round(max(per_group.values()), 4)
        out[f"vs_{name.replace('-', '_')}_per_group"] = {g: round(v, 4) for g, v in per_group.items()}
    return out


def run(model_type: str, param_sets: list[dict[str, Any]], seeds: tuple[int, ...] = (1, 2),
        budget_s: float | None = None, days: int = 2, log: Callable[[str], None] = print) -> dict[str, Any]:
    """``{"model_type", "budget_s", "seeds", "days", "groups", "results": [{"params", ...ratios, "checkpoints"}]}``
    (``"checkpoints"``: ``{seed: folder}`` of each set's kept checkpoints, left on disk for ``lwmecps eval``)."""
    import ray

    from lwmecps.platform.training.registry import get_model_type

    mt = get_model_type(model_type)
    for params in param_sets:
        mt.resolve(params)  # a bad key or value fails before any training
    budget = float(budget_s or train_quality.DEFAULT_BUDGET_S.get(model_type, 180.0))
    groups = suites.suites()["validation"]
    selection = suites.selection_base(groups)
    base = suites.baseline_costs(groups, days, names=YARDSTICK)
    started = train_quality.start_ray(2)
    task = ray.remote(num_cpus=1)(train_quality.train_one)
    workdir = tempfile.mkdtemp(prefix="lwmecps-validate-")
    log(f"kept checkpoints go to {workdir} (kept after the run, for `lwmecps eval --model`; remove it when done)")
    try:
        pending = {task.remote(model_type, s, budget, 20.0, workdir, selection, groups, days, p): i
                   for i, p in enumerate(param_sets) for s in seeds}
        runs: dict[int, list[dict[str, Any]]] = {i: [] for i in range(len(param_sets))}  # train_one's results
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            i = pending.pop(done[0])
            r = ray.get(done[0])
            runs[i].append(r)
            log(f"{model_type} {param_sets[i]} seed {r['seed']}: {r['env_steps']} env steps, validation "
                + ", ".join(f"{g} {r['costs'][g] / base[g]['causal-oracle']:.4f}x causal-oracle" for g in groups)
                # the selection curve shows whether the budget cut a still-improving run short
                + "; selection score by training s: "
                + ", ".join(f"{t:.0f}: {ratio:.3f}" for t, _, ratio in r["selection_log"])
                + f"; kept {r['checkpoint']}")
    finally:
        if started:
            ray.shutdown()
    results = [{"params": p, **summarise([r["costs"] for r in runs[i]], base),
                "checkpoints": {str(r["seed"]): r["checkpoint"] for r in sorted(runs[i], key=lambda r: r["seed"])}}
               for i, p in enumerate(param_sets)]
    return {"model_type": model_type, "budget_s": budget, "seeds": list(seeds), "days": days, "groups": groups,
            "results": results}

"""Hyperparameter sweeps with Ray Tune over an RLlib algorithm class, from a notebook or the API.

``sweep(model_type, param_space, group=..., num_samples=..., metric="cost")`` builds the model
type's RLlib config exactly as a training task does (``registry.build_config``), puts the search
space of each API parameter on the RLlib keys it maps to (``registry.rllib_keys``; a parameter that
sets several keys, like SAC's ``learning_rate``, samples once), and runs ``tune.Tuner`` on the
algorithm **class** (custom ones like TD3 and Q-learning have no string name Tune could resolve).
Each trial trains ``iterations`` iterations; ``cost`` is the mean per-step cost of its training
episodes (``EpisodeMetricsCallback``). Trials log to W&B (offline unless ``WANDB_API_KEY``), group
``sweep-<model_type>-<group>``. The result is a ``SweepResult``: a DataFrame (one row per trial: the
API parameters, ``cost``, iterations, env steps), the best parameters, and — with
``register_best=True`` — the best trial registered as a model (it appears in ``GET /api/v1/models``).

Search spaces: Tune's own objects (``tune.loguniform(1e-4, 1e-3)``, ``tune.choice([...])``), or, in
JSON (the API), ``{"loguniform": [lo, hi]}``, ``{"uniform": [lo, hi]}``, ``{"choice": [...]}``,
``{"grid": [...]}``, or a plain value.
"""
from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from .ray_here import ensure
from .training.registry import ParameterError, build_config, get_model_type, rllib_keys

SPACES = ("loguniform", "uniform", "choice", "grid")


@dataclass
class SweepResult:
    results: Any  # pandas.DataFrame
    best_params: dict[str, Any]
    best_cost: float
    best_checkpoint: str | None
    model_id: str | None = None


def search_space(spec: Any):
    """A Tune domain from a JSON spec (``{"loguniform": [lo, hi]}`` ...), or ``spec`` unchanged."""
    from ray import tune

    if not isinstance(spec, dict):
        return spec
    if len(spec) != 1 or next(iter(spec)) not in SPACES:
        raise ParameterError(f"a search space is one of {', '.join(SPACES)} (e.g. {{'loguniform': [1e-4, 1e-3]}}), "
                             f"got {spec!r}")
    kind, args = next(iter(spec.items()))
    if kind in ("loguniform", "uniform"):
        if not (isinstance(args, list) and len(args) == 2 and all(isinstance(a, (int, float)) for a in args)
                and args[0] < args[1] and (kind == "uniform" or args[0] > 0)):
            raise ParameterError(f"{kind} takes [low, high] with low < high{' and low > 0' * (kind == 'loguniform')}, "
                                 f"got {args!r}")
        return getattr(tune, kind)(*args)
    if not (isinstance(args, list) and args):
        raise ParameterError(f"{kind} takes a non-empty list, got {args!r}")
    return tune.choice(args) if kind == "choice" else tune.grid_search(args)


def _is_domain(value: Any) -> bool:
    from ray.tune.search.sample import Domain

    return isinstance(value, Domain) or isinstance(value, dict) and "grid_search" in value


SCHEDULERS = ("asha",)


def trial_scheduler(name: str | None, iterations: int):
    """``None`` (every trial runs ``iterations``) or ``"asha"``: Tune's ASHA stops a trial at rungs
    of ``grace_period * 2^k`` iterations when its ``cost`` is not in the best half of the trials
    that reached the rung (``grace_period = max(1, iterations // 4)``, reduction factor 2)."""
    if name is None:
        return None
    if name not in SCHEDULERS:
        raise ParameterError(f"unknown scheduler {name!r}; schedulers: {', '.join(SCHEDULERS)} (or none)")
    from ray.tune.schedulers import ASHAScheduler

    return ASHAScheduler(time_attr="training_iteration", max_t=iterations, grace_period=max(1, iterations // 4),
                         reduction_factor=2)


def trial_footprint(model_type: str, resources: dict[str, Any] | None, settings=None):
    """The resources of each trial (``training.resources`` keys; ``auto`` = 0 runners: a sweep runs
    many trials side by side, each reserves its own footprint as Tune's placement group)."""
    from .settings import get_settings
    from .training import resources as res

    resources = resources or {}
    unknown = sorted(set(resources) - set(res.RESOURCE_PARAMS))
    if unknown:
        raise ParameterError(f"unknown resource key(s) {', '.join(map(repr, unknown))}; accepted: "
                             f"{', '.join(res.RESOURCE_PARAMS)}")
    checked = get_model_type(model_type).validate(resources)  # ranges, and e.g. q_learning's single learner
    return res.least(checked, settings or get_settings())


def tune_param_space(model_type: str, param_space: dict[str, Any], group, seed: int = 0, footprint=None,
                     label: str | None = None):
    """The RLlib config dict with Tune domains on the keys of the swept parameters (``label``: the
    name its EnvRunners show in Ray's dashboard)."""
    from ray import tune

    mt, keys = get_model_type(model_type), rllib_keys(model_type)
    spaces = {k: search_space(v) for k, v in param_space.items()}
    unknown = sorted(set(spaces) - set(keys))
    if unknown:
        raise ParameterError(f"cannot sweep {', '.join(map(repr, unknown))} for {model_type!r}; sweepable: "
                             f"{', '.join(sorted(keys))}")
    fixed = {k: v for k, v in spaces.items() if not _is_domain(v)}
    config = build_config(model_type, fixed, group, seed=seed, footprint=footprint, label=label).to_dict()
    for key, domain in spaces.items():
        if key in fixed:
            continue
        first, *others = keys[key]
        config[first] = domain
        for other in others:  # one sample for every key the parameter sets
            config[other] = tune.sample_from(lambda spec, k=first: spec.config[k])
    return mt, config


def sweep(model_type: str, param_space: dict[str, Any], group="profile-a", num_samples: int = 4,
          metric: str = "cost", mode: str = "min", iterations: int = 10, register_best: bool = False,
          settings=None, storage_path: str | None = None, seed: int = 0, max_concurrent_trials: int | None = None,
          scheduler: str | None = None, resources: dict[str, Any] | None = None,
          log: Callable[[str], None] | None = None) -> SweepResult:
    """Run the sweep on the connected Ray cluster (``ray.init`` first, or one is started); ``group``:
    a shipped group's name or a loaded ``WorkloadGroup``."""
    from ray import tune
    from ray.tune import CheckpointConfig, RunConfig, TuneConfig

    from lwmecps.envs import as_group

    from .settings import get_settings
    from .training.envs import register

    if mode not in ("min", "max"):
        raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
    if not 1 <= num_samples <= 1000 or not 1 <= iterations <= 100_000:
        raise ValueError("num_samples must be 1..1000 and iterations 1..100000")
    workload = as_group(group)
    group = workload.name  # names label the runs; the loaded group is what the trials train on
    settings = settings or get_settings()
    footprint = trial_footprint(model_type, resources, settings)
    stopper = trial_scheduler(scheduler, iterations)
    mt, space = tune_param_space(model_type, param_space, workload, seed, footprint=footprint,
                                 label=f"sweep-{model_type}-{group}")
    algo_cls = build_config(model_type, {}, workload).algo_class
    ensure(log_to_driver=False)
    register()
    storage = storage_path or tempfile.mkdtemp(prefix="lwmecps-sweep-")
    tuner = tune.Tuner(
        algo_cls, param_space=space,
        # each trial reserves its algorithm's whole footprint (Algorithm.default_resource_request:
        # one placement group of the actor, its EnvRunners and learners); trials run side by side as
        # far as the cluster's free CPUs allow (max_concurrent_trials None: no other cap)
        tune_config=TuneConfig(metric=metric, mode=mode, num_samples=num_samples, scheduler=stopper,
                               max_concurrent_trials=max_concurrent_trials),
        run_config=RunConfig(name=f"sweep-{model_type}-{group}", storage_path=str(Path(storage).resolve()),
                             stop={"training_iteration": iterations}, callbacks=_wandb_callbacks(settings, model_type,
                                                                                                  group),
                             checkpoint_config=CheckpointConfig(checkpoint_at_end=True, num_to_keep=1),
                             verbose=1 if log else 0),
    )
    grid = tuner.fit()
    frame = _frame(grid, model_type, param_space, metric)
    best = grid.get_best_result(metric=metric, mode=mode)
    best_params = {k: _value(best.config, rllib_keys(model_type)[k][0]) for k in param_space}
    result = SweepResult(frame, best_params, float(best.metrics.get(metric, float("nan"))),
                         best.checkpoint.path if best.checkpoint else None)
    if register_best and result.best_checkpoint:
        result.model_id = register_model(settings, model_type, workload, result)
    return result


def _value(config: dict[str, Any], key: str) -> Any:
    value = config.get(key)
    return value.item() if hasattr(value, "item") else value


def _frame(grid, model_type: str, param_space: dict[str, Any], metric: str):
    import pandas as pd

    rows = []
    for r in grid:
        row = {"trial_id": r.metrics.get("trial_id")}
        row.update({k: _value(r.config, rllib_keys(model_type)[k][0]) for k in param_space})
        row[metric] = r.metrics.get(metric)
        row["training_iteration"] = r.metrics.get("training_iteration")
        row["env_steps"] = (r.metrics.get("env_runners") or {}).get("num_env_steps_sampled_lifetime")
        row["node_id"] = r.metrics.get("node_id")
        row["error"] = str(r.error)[:200] if r.error else None
        rows.append(row)
    return pd.DataFrame(rows).sort_values(metric, na_position="last").reset_index(drop=True)


def _wandb_callbacks(settings, model_type: str, group: str) -> list:
    """W&B per trial (offline unless a key is set); the key reaches wandb only through its env var."""
    import os

    from ray.air.integrations.wandb import WandbLoggerCallback

    os.environ["WANDB_MODE"] = settings.wandb_mode
    if settings.wandb_api_key is not None:
        os.environ["WANDB_API_KEY"] = settings.wandb_api_key.get_secret_value()
    settings.wandb_dir.mkdir(parents=True, exist_ok=True)
    return [WandbLoggerCallback(project=settings.wandb_project, group=f"sweep-{model_type}-{group}",
                                mode=settings.wandb_mode, dir=str(settings.wandb_dir.resolve()),
                                excludes=["callbacks_class"])]


def register_model(settings, model_type: str, workload, result: SweepResult) -> str:
    """Copy the best trial's checkpoint into the artifacts folder, evaluate it on ``workload`` (a loaded
    group), store a model record."""
    import json
    import uuid

    from .algorithms.inference import META_FILE, cluster_shape, load_policy, module_dir, versions
    from .store import Store
    from .training.quality import model_quality

    sweep_id, group = uuid.uuid4().hex[:12], workload.name
    target = Path(settings.artifacts_dir).resolve() / "sweeps" / sweep_id / "checkpoint"
    shutil.copytree(result.best_checkpoint, target)
    (target / META_FILE).write_text(json.dumps({"model_type": model_type, "group_id": group,
                                                **cluster_shape({"group": workload}),
                                                "sweep_id": sweep_id, "versions": versions()}, indent=1))
    policy, _ = load_policy(target)
    store = Store(settings.mongo_uri(), settings.mongodb_db).init()
    model = store.models.create({
        "name": f"sweep-{model_type}-{group}-{sweep_id}", "type": model_type, "task_id": f"sweep:{sweep_id}",
        "group_id": group, "checkpoint": str(target), "module_path": str(module_dir(target)),
        "metrics": model_quality(policy, workload), "versions": versions(), "params": result.best_params,
    })
    return str(model["_id"])

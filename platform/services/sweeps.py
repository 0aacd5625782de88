"""Sweeps through the API: validate, run ``platform.sweeps.sweep`` as a Ray task, store the outcome."""
from __future__ import annotations

import logging
import math
from typing import Any

from lwmecps.envs import UnknownGroupError

from ..ray_here import require
from ..settings import Settings
from ..store import Store, parse_id
from ..training.registry import ParameterError
from .errors import Invalid, NotFound
from .groups import resolve_group

log = logging.getLogger("lwmecps.sweeps")


def _run_sweep(sweep_id: str, body: dict[str, Any], settings: Settings) -> None:
    """The Ray task: runs the sweep (its trials are Ray actors), then records results or the failure."""
    import os

    os.environ.setdefault("OMP_NUM_THREADS", "1")
    from ..sweeps import sweep

    store = Store(settings.mongo_uri(), settings.mongodb_db)
    oid = parse_id(sweep_id)
    try:
        result = sweep(body["model_type"], body["param_space"], group=resolve_group(store, body["group_id"]),
                       num_samples=body["num_samples"], iterations=body["iterations"], register_best=True,
                       scheduler=body.get("scheduler"), resources=body.get("resources"),
                       max_concurrent_trials=body.get("max_concurrent_trials"),
                       settings=settings, storage_path=str(settings.artifacts_dir.resolve() / "sweeps" / sweep_id))
    except Exception as exc:
        log.exception("sweep %s failed", sweep_id)
        store.sweeps.finish(oid, "failed", error=f"{type(exc).__name__}: {str(exc)[:500]}")
        return
    rows = [{k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
            for row in result.results.to_dict(orient="records")]
    store.sweeps.finish(oid, "completed", results=rows, best_params=result.best_params,
                        best_cost=result.best_cost, model_id=result.model_id)


class SweepService:
    def __init__(self, store: Store, settings: Settings):
        self.store, self.settings = store, settings

    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        from ..sweeps import trial_footprint, trial_scheduler, tune_param_space
        from ..training import resources

        try:
            group = resolve_group(self.store, body["group_id"])
        except UnknownGroupError as exc:
            raise NotFound(str(exc)) from None
        try:
            tune_param_space(body["model_type"], body["param_space"], group)
            trial_scheduler(body.get("scheduler"), body["iterations"])
            footprint = trial_footprint(body["model_type"], body.get("resources"), self.settings)
        except ParameterError as exc:
            raise Invalid(str(exc)) from None
        short = resources.cluster_shortfall(footprint)
        if short is not None:
            raise Invalid(f"each trial: {short}")
        require("sweeps")
        import ray

        doc = self.store.sweeps.create(dict(body))
        ray.remote(num_cpus=0, max_retries=0)(_run_sweep).remote(str(doc["_id"]), dict(body), self.settings)
        return doc

    def get(self, sweep_id: str) -> dict[str, Any]:
        doc = self.store.sweeps.get(parse_id(sweep_id, "sweep_id"))
        if doc is None:
            raise NotFound(f"sweep {sweep_id} not found")
        return doc

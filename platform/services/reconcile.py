"""Reconciliation runs: validate, run as a Ray task, store and list the results."""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from lwmecps.envs import ShapeMismatch, UnknownGroupError, as_group, check_same_shape

from ..algorithms.inference import checkpoint_layout
from ..settings import Settings
from ..store import Store
from ..store.common import now
from ..tracking import start_run
from .errors import BadRequest, Failed, NotFound
from .groups import resolve_group
from .ray_tasks import run_task
from .tasks import TaskService

log = logging.getLogger("lwmecps.reconcile")


def _run_reconcile(checkpoint: str, group, sample_size: int, train_group,
                   known: dict[str, float] | None = None, num_cpus: float = 0.5) -> tuple[dict[str, Any], dict[str, Any]]:
    """The Ray task: ``(reconcile's result, the baseline cache's report)``; the groups come loaded
    (``WorkloadGroup``s: a user group has no file on the node the task runs on). ``known``: the stored
    baseline costs ``{key: cost}``; the report's ``new`` entries are the costs computed here. In a
    Ray cluster the policy's episodes are split over as many ``num_cpus`` tasks as the free CPUs
    hold (``training.reconcile.run_steps_parallel``: the same figures as one task)."""
    import os

    os.environ.setdefault("OMP_NUM_THREADS", "1")
    from ..training.reconcile import BaselineCostCache, reconcile
    from ..training.resources import cluster_cpus

    cluster = cluster_cpus()
    parts = int(cluster[1] // num_cpus) + 1 if cluster else 1  # + this task's own share
    cache = BaselineCostCache(known)
    return (reconcile(checkpoint, group, sample_size, train_group, cache=cache, parts=parts, num_cpus=num_cpus),
            cache.report())


class ReconcileService:
    def __init__(self, store: Store, settings: Settings, tasks: TaskService):
        self.store, self.settings, self.tasks = store, settings, tasks

    def run(self, task_id: str, sample_size: Any, group_id: str | None) -> dict[str, Any]:
        size = self._sample_size(sample_size)
        task = self.tasks.get(task_id)
        model = self.store.models.by_task(task["_id"]) if task.get("model_id") else None
        if task["status"] != "completed" or model is None:
            raise NotFound(f"training task {task_id} has no trained model (status {task['status']})")
        group = group_id or task["group_id"]
        try:
            target, trained_on = resolve_group(self.store, group), resolve_group(self.store, task["group_id"])
            check_same_shape(trained_on, target)  # before any work starts
        except (UnknownGroupError, ShapeMismatch) as exc:
            raise BadRequest(str(exc)) from None
        if not Path(model["checkpoint"]).exists():
            raise NotFound(f"the checkpoint of model {model['_id']} is missing")
        try:
            checkpoint_layout(model["checkpoint"])
        except (ShapeMismatch, FileNotFoundError) as exc:
            raise BadRequest(str(exc)) from None
        try:
            result = self._execute(model["checkpoint"], target, size, trained_on)
        except Exception as exc:
            log.exception("reconciliation of task %s failed", task_id)
            raise Failed(f"reconciliation failed: {type(exc).__name__}: {str(exc)[:300]}") from None
        from ..algorithms.inference import weights_file

        run_id = self._track(task, model, group, size, result)
        doc = {"task_id": task_id, "model_id": str(model["_id"]), "model_type": task["model_type"],
               "group_id": group, "train_group_id": task["group_id"], "wandb_run_id": run_id,
               "metrics": result["metrics"], "costs": result["costs"], "closed_gap": result["closed_gap"],
               "sample_size": size, "timestamp": now(), "model_weights_path": str(weights_file(model["checkpoint"]))}
        return self.store.reconciliations.create(doc)

    def list(self, task_id: str, page: int, per_page: int) -> tuple[list[dict], int]:
        task = self.tasks.get(task_id)
        return self.store.reconciliations.by_task(str(task["_id"]), (page - 1) * per_page, per_page)

    def _sample_size(self, value: Any) -> int:
        if value is None or value == "":
            raise BadRequest("sample_size is required: the number of decision steps to run")
        try:
            size = int(value)
        except (TypeError, ValueError):
            raise BadRequest(f"sample_size={value!r} is not an integer") from None
        if not 1 <= size <= self.settings.max_reconcile_steps:
            raise BadRequest(f"sample_size={size} is outside 1..{self.settings.max_reconcile_steps} "
                             f"(LWMECPS_MAX_RECONCILE_STEPS)")
        return size

    def _execute(self, checkpoint: str, group, size: int, train_group) -> dict[str, Any]:
        """Reconcile (loaded groups, or shipped groups' names) with the stored baseline costs; store the
        ones it had to compute."""
        from ..training.reconcile import RECONCILE_SEED

        group, train_group = as_group(group), as_group(train_group)

        groups = sorted({group.name, train_group.name})
        try:
            known = self.store.baseline_costs.lookup(groups, size, RECONCILE_SEED)
        except Exception:  # a cache: a store hiccup costs time, not the run
            log.warning("baseline cost lookup failed; computing them", exc_info=True)
            known = {}
        result, cache = run_task(_run_reconcile, checkpoint, group, size, train_group, known,
                                 self.settings.reconcile_num_cpus, num_cpus=self.settings.reconcile_num_cpus,
                                 timeout_s=self.settings.reconcile_timeout_s)
        log.info("reconcile on %s: %d baseline costs cached, %d computed", groups, cache["hits"], cache["computed"])
        try:
            self.store.baseline_costs.put_many(cache["new"])
        except Exception:
            log.warning("storing %d baseline costs failed", len(cache["new"]), exc_info=True)
        return result

    def _track(self, task, model, group: str, size: int, result: dict[str, Any]) -> str:
        run = start_run(self.settings, project=None, name=f"reconcile-{task['name']}", group=group,
                        job_type="reconcile", config={"task_id": str(task["_id"]), "model_id": str(model["_id"]),
                                                      "model_type": task["model_type"], "group_id": group,
                                                      "train_group_id": task["group_id"], "sample_size": size})
        try:
            run.log({f"reconcile/{k}": v for k, v in result["metrics"].items()})
            run.summary.update({f"reconcile/{k}": v for k, v in result["metrics"].items()})
            return run.id
        finally:
            run.finish()

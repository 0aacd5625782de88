"""One training task, start to finish, inside its Ray actor.

Loop: ``algo.train()`` until ``total_episodes`` episodes have finished (counted from the episodes
the runners report, across all EnvRunners), writing each episode's return, length and mean latency
to the store and to W&B as they arrive; a checkpoint every ``checkpoint_every_iterations`` and at
the end; then the model record. A cancel request is honoured between iterations (checkpoint kept,
W&B run finished). Status writes are conditional on ``running``, so a cancel wins over a late
completion.
"""
from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any

from lwmecps.envs import WorkloadGroup

from ..algorithms.inference import module_dir, save_checkpoint, versions
from ..services.groups import resolve_group
from ..settings import Settings
from ..store import Store, parse_id
from ..store.common import now
from .loop import train_episodes
from .placement import Placement, env_steps, env_steps_per_s
from .quality import model_quality

log = logging.getLogger("lwmecps.training")


def _redirect_trainable_logs(path: Path) -> None:
    # An Algorithm outside Tune logs under ~/ray_results (a constant read at import); ours go next
    # to the task's checkpoints instead.
    import ray.tune.trainable.trainable as trainable

    path.mkdir(parents=True, exist_ok=True)
    trainable.DEFAULT_STORAGE_PATH = str(path)


class TrainingRun:
    def __init__(self, task_id: str, settings: Settings, cancel: threading.Event):
        self.task_id, self.oid = task_id, parse_id(task_id, "task_id")
        self.settings, self.cancel = settings, cancel
        self.store = Store(settings.mongo_uri(), settings.mongodb_db)
        self.workdir = settings.artifacts_dir / "tasks" / task_id
        self.wandb_run = None

    def run(self) -> str:
        task = self.store.tasks.get(self.oid)
        if task is None or task["status"] != "running":
            return task["status"] if task else "missing"
        try:
            return self._train(task)
        except Exception as exc:  # any failure ends the task as failed, with the reason
            log.exception("training %s failed", self.task_id)
            self.store.tasks.transition(self.oid, ("running",), "failed", error=f"{type(exc).__name__}: {exc}"[:1000])
            return "failed"
        finally:
            if self.wandb_run is not None:
                self.wandb_run.finish()

    # -- the loop -----------------------------------------------------------------------------------
    def _train(self, task: dict[str, Any]) -> str:
        from .envs import register
        from .registry import build_config
        from .resources import Footprint

        register()
        _redirect_trainable_logs(self.workdir / "logs")
        footprint = Footprint.from_doc(task["resources"]) if task.get("resources") else None
        group = resolve_group(self.store, task["group_id"])  # loaded here: runners elsewhere get it in env_config
        config = build_config(task["model_type"], task["parameters"], group, seed=task.get("seed", 0),
                              footprint=footprint, label=f"training:{self.task_id}")
        algo = config.build_algo()
        placement = Placement(algo)
        self.store.tasks.update(self.oid, **{"resources.nodes": placement.nodes()})
        try:
            if task.get("checkpoint"):
                algo.restore_from_path(task["checkpoint"])
            self._start_wandb(task, config)
            total = int(task["total_episodes"])

            def on_episodes(first: int, rows: list[dict[str, Any]]) -> None:
                self._log_episodes(first, rows)
                self.store.tasks.add_episodes(self.oid, first, rows, total)

            started, limit = time.monotonic(), self.settings.max_training_seconds

            def on_iteration(iteration: int, result: dict) -> None:
                fields = {"env_steps": env_steps(result), "env_steps_per_s": env_steps_per_s(result)}
                if placement.changed():  # a runner restarted (its node died): where it is now
                    fields["resources.nodes"] = placement.nodes()
                self.store.tasks.update(self.oid, **fields)
                if iteration % self.settings.checkpoint_every_iterations == 0:
                    self._checkpoint(algo, task)
                if time.monotonic() - started > limit:
                    raise TimeoutError(f"the task exceeded the wall-clock limit of {limit:g} s "
                                       f"(LWMECPS_MAX_TRAINING_SECONDS)")

            train_episodes(algo, total, done=int(task.get("current_episode", 0)), on_episodes=on_episodes,
                           on_iteration=on_iteration, should_stop=self.cancel.is_set)
            self.store.tasks.update(self.oid, **{"resources.nodes": placement.settled_nodes()})
            checkpoint = self._checkpoint(algo, task)
            if self.cancel.is_set():
                return "cancelled"
            return self._complete(task, checkpoint, group)
        finally:
            algo.stop()

    def _start_wandb(self, task: dict[str, Any], config) -> None:
        from ..tracking import start_run

        self.wandb_run = start_run(
            self.settings, project=task.get("wandb_project"), name=task.get("wandb_run_name") or task["name"],
            group=task["group_id"], job_type="train", run_id=task.get("wandb_run_id"),
            config={"task_id": self.task_id, "model_type": task["model_type"], "group_id": task["group_id"],
                    "total_episodes": task["total_episodes"], "parameters": task["parameters"],
                    "rllib": _plain(config.to_dict()), **versions()})
        self.store.tasks.update(self.oid, wandb_run_id=self.wandb_run.id)

    def _log_episodes(self, first: int, rows: list[dict[str, Any]]) -> None:
        for i, row in enumerate(rows):
            self.wandb_run.log({"episode": first + i + 1, "episode_reward": row["reward"],
                                "episode_steps": row["steps"], "episode_latency_s": row["latency"]})

    def _checkpoint(self, algo, task: dict[str, Any]) -> str:
        path = save_checkpoint(algo, self.workdir / "checkpoint", {
            "model_type": task["model_type"], "group_id": task["group_id"], "task_id": self.task_id})
        self.store.tasks.update(self.oid, checkpoint=str(path))
        return str(path)

    def _complete(self, task: dict[str, Any], checkpoint: str, group) -> str:
        from ..algorithms.inference import load_policy

        # judged from the checkpoint itself: an asynchronous learner (APPO, IMPALA) may still apply
        # queued batches to the live module after the checkpoint was written
        policy, _ = load_policy(checkpoint)
        quality = model_quality(policy, group)
        self.wandb_run.summary.update({f"eval/{k}": v for k, v in quality.items()})
        model = self.store.models.create({
            "name": task["name"], "type": task["model_type"], "task_id": self.task_id, "group_id": task["group_id"],
            "checkpoint": checkpoint, "module_path": str(module_dir(checkpoint)), "metrics": quality,
            "versions": versions(),
        })
        moved = self.store.tasks.transition(self.oid, ("running",), "completed", model_id=str(model["_id"]),
                                            progress=1.0, finished_at=now())
        return "completed" if moved else self.store.tasks.get(self.oid)["status"]


def _plain(obj: Any) -> Any:
    """JSON-safe copy of an RLlib config dict (classes and callables become their names)."""
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, WorkloadGroup):  # a user group's trace would fill the run's config
        return obj.name
    return getattr(obj, "__name__", type(obj).__name__)

"""The scheduler: one detached actor that starts queued trainings and watches running ones.

Every ``scheduler_poll_s`` (or at once when kicked): finished runs' actors are killed; tasks marked
``running`` whose actor is gone (the service died) are resumed from their checkpoint or failed
with the reason; then ``created``/``queued`` tasks start, oldest first, while fewer than
``max_concurrent_trainings`` run (the rest are marked ``queued``).
"""
from __future__ import annotations

import logging
import threading
import time

import ray

from ..settings import get_settings
from ..store import Store, parse_id
from ..store.tasks import now
from .actor import NAMESPACE, find_actor, start_actor

SCHEDULER_NAME = "scheduler"
log = logging.getLogger("lwmecps.scheduler")


@ray.remote(num_cpus=0, max_concurrency=4)
class Scheduler:
    def __init__(self):
        self.settings = get_settings()
        self.store = Store(self.settings.mongo_uri(), self.settings.mongodb_db)
        self._runs: dict[str, tuple] = {}  # task_id -> (actor, run ref)
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = False
        self._recover_orphans()
        threading.Thread(target=self._loop, daemon=True, name="lwmecps-scheduler").start()

    # -- API used by the ingress --------------------------------------------------------------------
    def kick(self) -> None:
        self._wake.set()

    def cancel(self, task_id: str) -> None:
        """Ask the task's actor to stop; kill it if it has not stopped after the grace period."""
        actor = find_actor(task_id)
        if actor is None:
            return
        actor.cancel.remote()
        threading.Thread(target=self._kill_after_grace, args=(task_id, actor), daemon=True).start()

    def running(self) -> list[str]:
        with self._lock:
            return list(self._runs)

    def shutdown(self) -> None:
        self._stop = True
        with self._lock:
            for actor, _ in self._runs.values():
                ray.kill(actor)
            self._runs.clear()

    # -- the loop -----------------------------------------------------------------------------------
    def _loop(self) -> None:
        while not self._stop:
            try:
                self._reap()
                self._promote()
            except Exception:  # the loop must survive a transient store or Ray error
                log.exception("scheduler pass failed")
            self._wake.wait(self.settings.scheduler_poll_s)
            self._wake.clear()

    def _reap(self) -> None:
        with self._lock:
            items = list(self._runs.items())
        for task_id, (actor, ref) in items:
            ready, _ = ray.wait([ref], timeout=0)
            if ready:
                try:
                    ray.get(ref)
                except Exception as exc:  # the actor died (OOM, killed): fail the task if still running
                    self.store.tasks.transition(parse_id(task_id), ("running",), "failed",
                                                error=f"training actor died: {type(exc).__name__}")
                ray.kill(actor)
                with self._lock:
                    self._runs.pop(task_id, None)

    def _promote(self) -> None:
        waiting = self.store.tasks.with_status(("created", "queued"))
        with self._lock:
            free = self.settings.max_concurrent_trainings - len(self._runs)
        for task in waiting:
            task_id = str(task["_id"])
            if free <= 0:
                if task["status"] == "created":
                    self.store.tasks.transition(task["_id"], ("created",), "queued")
                continue
            if self.store.tasks.transition(task["_id"], ("created", "queued"), "running",
                                           started_at=now()) is None:
                continue  # cancelled meanwhile
            stale = find_actor(task_id)
            if stale is not None:
                ray.kill(stale)
            actor, ref = start_actor(task_id, self.settings.training_num_cpus)
            with self._lock:
                self._runs[task_id] = (actor, ref)
            free -= 1

    def _recover_orphans(self) -> None:
        """Tasks left ``running`` by a service that died: resume from checkpoint, or fail with the reason."""
        for task in self.store.tasks.with_status(("running",)):
            actor = find_actor(str(task["_id"]))
            if actor is not None:
                ray.kill(actor)  # a leftover of the previous scheduler: restart it cleanly
            if task.get("checkpoint"):
                self.store.tasks.transition(task["_id"], ("running",), "queued", resumed=True)
            else:
                self.store.tasks.transition(
                    task["_id"], ("running",), "failed",
                    error="the service stopped before this task's first checkpoint; nothing to resume from")

    def _kill_after_grace(self, task_id: str, actor) -> None:
        deadline = time.monotonic() + self.settings.cancel_grace_s
        with self._lock:
            ref = self._runs.get(task_id, (None, None))[1]
        while ref is not None and time.monotonic() < deadline:
            if ray.wait([ref], timeout=0.2)[0]:
                break
        ray.kill(actor)
        with self._lock:
            self._runs.pop(task_id, None)
        self._wake.set()


def get_or_start_scheduler():
    return Scheduler.options(name=SCHEDULER_NAME, namespace=NAMESPACE, lifetime="detached",
                             get_if_exists=True).remote()


def find_scheduler():
    try:
        return ray.get_actor(SCHEDULER_NAME, namespace=NAMESPACE)
    except ValueError:
        return None

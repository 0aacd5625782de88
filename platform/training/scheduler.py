"""The scheduler: one detached actor that starts queued trainings and watches running ones.

Every ``scheduler_poll_s`` (or at once when kicked): finished runs' actors are killed and their
reservations released; tasks marked ``running`` whose actor is gone (the service died) are resumed
from their checkpoint or failed with the reason; then ``created``/``queued`` tasks start, oldest
first, while fewer than ``max_concurrent_trainings`` run and the task's whole footprint (its actor,
EnvRunners and learners: ``resources.Footprint``) fits the CPUs free on the cluster; the rest are
marked ``queued``. A task whose footprint exceeds the whole cluster (it shrank since the task was
created) fails with the shortfall instead of waiting forever.
"""
from __future__ import annotations

import logging
import threading
import time

import ray

from ..settings import get_settings
from ..store import Store, parse_id
from ..store.common import now
from . import resources
from .actor import NAMESPACE, find_actor, find_reservation, release, reserve, start_actor

SCHEDULER_NAME = "scheduler"
log = logging.getLogger("lwmecps.scheduler")


@ray.remote(num_cpus=0, max_concurrency=4)
class Scheduler:
    def __init__(self):
        self.settings = get_settings()
        self.store = Store(self.settings.mongo_uri(), self.settings.mongodb_db)
        self._runs: dict[str, tuple] = {}  # task_id -> (actor, run ref, placement group)
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
            for actor, _, pg in self._runs.values():
                ray.kill(actor)
                release(pg)
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
        for task_id, (actor, ref, pg) in items:
            ready, _ = ray.wait([ref], timeout=0)
            if ready:
                try:
                    ray.get(ref)
                except Exception as exc:  # the actor died (OOM, killed, its node lost)
                    self._actor_died(task_id, exc)
                ray.kill(actor)
                release(pg)
                with self._lock:
                    self._runs.pop(task_id, None)

    def _promote(self) -> None:
        waiting = self.store.tasks.with_status(("created", "queued"))
        if not waiting:
            return
        with self._lock:
            slots = self.settings.max_concurrent_trainings - len(self._runs)
        total, free = resources.cluster_cpus()
        for task in waiting:
            # 'auto' sizes from a fair share: the free CPUs over the training slots still open
            footprint = resources.resolve(task["parameters"], self.settings, free / max(1, slots))
            short = resources.shortfall(footprint, total)
            if short is not None:
                self.store.tasks.transition(task["_id"], ("created", "queued"), "failed", error=short)
                continue
            if slots <= 0 or footprint.cpus > free + 1e-9 or not self._start(task, footprint):
                if task["status"] == "created":
                    self.store.tasks.transition(task["_id"], ("created",), "queued")
                continue
            slots -= 1
            free -= footprint.cpus

    def _start(self, task: dict, footprint: resources.Footprint) -> bool:
        """Reserve the footprint, then move the task to ``running`` and start its actor."""
        task_id = str(task["_id"])
        _clear_leftovers(task_id)
        pg = reserve(task_id, footprint, self.settings.scheduler_reserve_timeout_s)
        while pg is None and resources.can_shrink(task["parameters"], self.settings, footprint):
            # free CPUs split over nodes need not hold the bundles (an 'auto' footprint sized from
            # the cluster-wide total): one runner fewer, each a little larger, until it is placed
            footprint = resources.shrink(footprint)
            pg = reserve(task_id, footprint, self.settings.scheduler_reserve_timeout_s)
        if pg is None:
            return False
        if self.store.tasks.transition(task["_id"], ("created", "queued"), "running", started_at=now(),
                                       resources=footprint.as_doc()) is None:
            release(pg)  # cancelled meanwhile
            return True
        actor, ref = start_actor(task_id, pg)
        with self._lock:
            self._runs[task_id] = (actor, ref, pg)
        return True

    def _actor_died(self, task_id: str, exc: Exception) -> None:
        """A running task whose actor died goes back to ``queued`` to resume from its checkpoint (its
        episodes so far are kept: counting resumes at ``current_episode``), or fails with the reason
        when it has none."""
        task = self.store.tasks.get(parse_id(task_id))
        if task is None or task["status"] != "running":
            return
        log.warning("training %s lost its actor (%s)", task_id, type(exc).__name__)
        self._resume_or_fail(task, f"training actor died before its first checkpoint: {type(exc).__name__}")

    def _resume_or_fail(self, task: dict, error: str) -> None:
        """A ``running`` task without a live actor: back to ``queued`` to resume from its checkpoint,
        or ``failed`` with ``error`` when it has none."""
        if task.get("checkpoint"):
            self.store.tasks.transition(task["_id"], ("running",), "queued", resumed=True)
        else:
            self.store.tasks.transition(task["_id"], ("running",), "failed", error=error)

    def _recover_orphans(self) -> None:
        """Tasks left ``running`` by a service that died: resume from checkpoint, or fail with the reason."""
        for task in self.store.tasks.with_status(("running",)):
            _clear_leftovers(str(task["_id"]))  # of the previous scheduler: restart it cleanly
            self._resume_or_fail(task, "the service stopped before this task's first checkpoint; nothing to resume from")

    def _kill_after_grace(self, task_id: str, actor) -> None:
        deadline = time.monotonic() + self.settings.cancel_grace_s
        with self._lock:
            _, ref, pg = self._runs.get(task_id, (None, None, None))
        while ref is not None and time.monotonic() < deadline:
            if ray.wait([ref], timeout=0.2)[0]:
                break
        ray.kill(actor)
        if pg is not None:
            release(pg)
        with self._lock:
            self._runs.pop(task_id, None)
        self._wake.set()


def _clear_leftovers(task_id: str) -> None:
    """Kill a task's actor and release its reservation, if any are left (a previous run's)."""
    actor = find_actor(task_id)
    if actor is not None:
        ray.kill(actor)
    pg = find_reservation(task_id)
    if pg is not None:
        release(pg)


def head_node_id() -> str:
    """The head node's id (Ray gives it the resource ``node:__internal_head__``), else this node's."""
    for node in ray.nodes():
        if node.get("Alive") and "node:__internal_head__" in node.get("Resources", {}):
            return node["NodeID"]
    return ray.get_runtime_context().get_node_id()


def get_or_start_scheduler():
    """The scheduler (started once: by ``lwmecps up``, or by the API's ingress on a RayService), on
    the head node: with no CPUs to ask for, Ray could place it on any worker, and a worker node that
    dies must not take the control loop with it. Hard affinity, as Serve's controller has: with
    ``soft=True`` a head of 0 CPUs (as KubeRay heads often are) spilled it to a worker (measured: the
    scheduler died with the worker whose raylet a test killed)."""
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    head = NodeAffinitySchedulingStrategy(head_node_id(), soft=False)
    return Scheduler.options(name=SCHEDULER_NAME, namespace=NAMESPACE, lifetime="detached",
                             get_if_exists=True, scheduling_strategy=head).remote()


def find_scheduler():
    try:
        return ray.get_actor(SCHEDULER_NAME, namespace=NAMESPACE)
    except ValueError:
        return None

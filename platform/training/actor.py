"""The detached, named Ray actor that runs one training task (``training:<task_id>``)."""
from __future__ import annotations

import os
import threading

import ray

NAMESPACE = "lwmecps"


def actor_name(task_id: str) -> str:
    return f"training:{task_id}"


@ray.remote(max_concurrency=2)  # run() and cancel() at once
class TrainingActor:
    def __init__(self, task_id: str):
        os.environ.setdefault("OMP_NUM_THREADS", "1")  # ~9x faster learner steps on our CPUs
        self.task_id = task_id
        self._cancel = threading.Event()

    def run(self) -> str:
        import torch

        torch.set_num_threads(1)
        from ..settings import get_settings
        from .runner import TrainingRun

        return TrainingRun(self.task_id, get_settings(), self._cancel).run()

    def cancel(self) -> None:
        self._cancel.set()


def reserve(task_id: str, footprint, timeout_s: float):
    """Reserve the task's whole footprint as one placement group (bundles in RLlib's order:
    the actor, each EnvRunner, the learners; spread over nodes where they fit). ``None`` when it
    is not placed within ``timeout_s`` (the cluster is busier than its free CPUs said)."""
    from ray.util.placement_group import placement_group, remove_placement_group

    pg = placement_group(footprint.bundles, strategy="SPREAD", name=actor_name(task_id), lifetime="detached")
    ready, _ = ray.wait([pg.ready()], timeout=timeout_s)
    if not ready:
        remove_placement_group(pg)
        return None
    return pg


def release(pg) -> None:
    from ray.util.placement_group import remove_placement_group

    try:
        remove_placement_group(pg)
    except Exception:  # already gone (a previous scheduler removed it)
        pass


def start_actor(task_id: str, pg):
    """Create the task's actor in bundle 0 of its reservation and start its run; the EnvRunners and
    learners RLlib creates from it land in the reservation's other bundles. Returns (actor, run ref)."""
    from ray.util.scheduling_strategies import PlacementGroupSchedulingStrategy

    strategy = PlacementGroupSchedulingStrategy(pg, placement_group_bundle_index=0,
                                                placement_group_capture_child_tasks=True)
    actor = TrainingActor.options(name=actor_name(task_id), namespace=NAMESPACE, lifetime="detached",
                                  num_cpus=pg.bundle_specs[0]["CPU"], max_restarts=0,
                                  scheduling_strategy=strategy).remote(task_id)
    return actor, actor.run.remote()


def find_reservation(task_id: str):
    from ray.util import get_placement_group

    try:
        return get_placement_group(actor_name(task_id))
    except ValueError:
        return None


def find_actor(task_id: str):
    try:
        return ray.get_actor(actor_name(task_id), namespace=NAMESPACE)
    except ValueError:
        return None

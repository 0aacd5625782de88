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


def start_actor(task_id: str, num_cpus: float):
    """Create the task's actor and start its run; returns (actor handle, run ObjectRef)."""
    actor = TrainingActor.options(name=actor_name(task_id), namespace=NAMESPACE, lifetime="detached",
                                  num_cpus=num_cpus, max_restarts=0).remote(task_id)
    return actor, actor.run.remote()


def find_actor(task_id: str):
    try:
        return ray.get_actor(actor_name(task_id), namespace=NAMESPACE)
    except ValueError:
        return None

"""Training tasks: create, read, list, cancel (the logic behind the /training routes)."""
from __future__ import annotations

from typing import Any, Callable

from lwmecps.envs import UnknownGroupError

from ..settings import Settings
from ..store import ACTIVE, STATUSES, Store, parse_id
from ..training import resources
from ..training.registry import ParameterError, get_model_type
from .groups import resolve_group
from .errors import Conflict, Invalid, NotFound, TooMany


class TaskService:
    def __init__(self, store: Store, settings: Settings, scheduler: Callable[[], Any]):
        self.store, self.settings = store, settings
        self._scheduler = scheduler  # returns the scheduler actor handle (or None)

    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        try:
            mt = get_model_type(body["model_type"])
            params = mt.validate(body["parameters"])
            mt.resolve(params)  # the combination too (e.g. a randomisation range with min > max)
        except ParameterError as exc:
            raise Invalid(str(exc)) from None
        short = resources.cluster_shortfall(resources.least(params, self.settings))
        if short is not None:  # a footprint that can never fit would wait queued forever
            raise Invalid(short)
        if body["total_episodes"] > self.settings.max_total_episodes:
            raise Invalid(f"total_episodes={body['total_episodes']} exceeds the limit "
                          f"{self.settings.max_total_episodes} (LWMECPS_MAX_TOTAL_EPISODES)")
        try:
            resolve_group(self.store, body["group_id"])
        except UnknownGroupError as exc:
            raise NotFound(str(exc)) from None
        waiting = self.store.tasks.count(("created", "queued"))
        if waiting >= self.settings.max_queued_trainings:
            raise TooMany(f"{waiting} training tasks are already waiting: the queue limit is "
                          f"{self.settings.max_queued_trainings} (LWMECPS_MAX_QUEUED_TRAININGS); try again later")
        task = self.store.tasks.create({**body, "parameters": params})
        self._kick()
        return task

    def get(self, task_id: str) -> dict[str, Any]:
        task = self.store.tasks.get(parse_id(task_id, "task_id"))
        if task is None:
            raise NotFound(f"training task {task_id} not found")
        return task

    def episodes(self, task: dict[str, Any]) -> list[dict[str, Any]]:
        return self.store.tasks.episode_metrics(task["_id"])

    def list(self, status: str | None, page: int, per_page: int) -> tuple[list[dict], int]:
        if status is not None and status not in STATUSES:
            raise Invalid(f"unknown status {status!r}; statuses: {', '.join(STATUSES)}")
        return self.store.tasks.list(status, (page - 1) * per_page, per_page)

    def cancel(self, task_id: str) -> dict[str, Any]:
        task = self.get(task_id)
        moved = self.store.tasks.transition(task["_id"], ACTIVE, "cancelled")
        if moved is None:
            current = self.store.tasks.get(task["_id"])
            raise Conflict(f"training task {task_id} is already {current['status']}; only "
                           f"{', '.join(ACTIVE)} tasks can be cancelled")
        scheduler = self._scheduler()
        if scheduler is not None:
            scheduler.cancel.remote(task_id)
        return moved

    def _kick(self) -> None:
        scheduler = self._scheduler()
        if scheduler is not None:
            scheduler.kick.remote()

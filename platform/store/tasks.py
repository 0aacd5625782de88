"""Repository of training tasks (collection ``tasks``) and their per-episode metrics (``episodes``).

References to a task from other collections hold its id as a hex string (``task_id``): the
embedded nx-27017 server matches ObjectId values only on ``_id``.

Status machine: ``created -> queued -> running -> completed | failed | cancelled``. Transitions are
conditional updates (``find_one_and_update`` on the expected status), so a cancel racing a
completion has exactly one winner.
"""
from __future__ import annotations

from typing import Any, Literal

from bson import ObjectId
from pymongo import ASCENDING
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from .common import move, now, page

TaskStatus = Literal["created", "queued", "running", "completed", "failed", "cancelled"]  # the API's too
STATUSES: tuple[str, ...] = TaskStatus.__args__
ACTIVE = STATUSES[:3]  # created, queued, running
FINISHED = STATUSES[3:]  # completed, failed, cancelled


class TaskRepository:
    def __init__(self, db: Database):
        self.db = db
        self.tasks = db.tasks
        self.episodes = db.episodes

    # -- create / read ----------------------------------------------------------------------------
    def create(self, doc: dict[str, Any]) -> dict[str, Any]:
        ts = now()
        doc = {**doc, "status": "created", "created_at": ts, "updated_at": ts, "current_episode": 0,
               "progress": 0.0, "error": None, "model_id": None, "wandb_run_id": None, "checkpoint": None}
        doc["_id"] = self.tasks.insert_one(doc).inserted_id
        return doc

    def get(self, task_id: ObjectId) -> dict[str, Any] | None:
        return self.tasks.find_one({"_id": task_id})

    def list(self, status: str | None, skip: int, limit: int) -> tuple[list[dict], int]:
        return page(self.tasks, {"status": status} if status else {}, skip, limit)

    def with_status(self, statuses: tuple[str, ...]) -> list[dict[str, Any]]:
        return list(self.tasks.find({"status": {"$in": list(statuses)}})
                    .sort([("created_at", ASCENDING), ("_id", ASCENDING)]))

    def count(self, statuses: tuple[str, ...]) -> int:
        return self.tasks.count_documents({"status": {"$in": list(statuses)}})

    def count_using_group(self, group_id: str) -> int:
        """Active tasks (created, queued, running) on ``group_id``."""
        return self.tasks.count_documents({"group_id": group_id, "status": {"$in": list(ACTIVE)}})

    # -- transitions ------------------------------------------------------------------------------
    def transition(self, task_id: ObjectId, from_statuses: tuple[str, ...], to_status: str,
                   **fields: Any) -> dict[str, Any] | None:
        """Move to ``to_status`` if the task is in one of ``from_statuses``; the new doc or None."""
        return move(self.tasks, task_id, from_statuses, to_status, **fields)

    def update(self, task_id: ObjectId, **fields: Any) -> None:
        self.tasks.update_one({"_id": task_id}, {"$set": {**fields, "updated_at": now()}})

    # -- per-episode metrics ----------------------------------------------------------------------
    def add_episodes(self, task_id: ObjectId, first: int, rows: list[dict[str, float]], total: int) -> int:
        """Store episodes ``first, first+1, ...`` and advance progress; returns the new count.

        Re-inserting an episode already stored (a resumed task repeating one) is ignored.
        """
        for i, row in enumerate(rows):
            try:
                self.episodes.insert_one({"task_id": str(task_id), "episode": first + i, **row})
            except DuplicateKeyError:
                pass
        count = first + len(rows)
        self.update(task_id, current_episode=count, progress=min(1.0, count / total))
        return count

    def episode_metrics(self, task_id: ObjectId) -> list[dict[str, Any]]:
        return list(self.episodes.find({"task_id": str(task_id)}, {"_id": 0}).sort("episode", ASCENDING))

"""Repository of trained models (collection ``models``): one per completed training task.

``task_id`` is stored as a hex string (see ``tasks``).
"""
from __future__ import annotations

from typing import Any, Literal

from bson import ObjectId
from pymongo.database import Database

from .common import move, now, page, set_if
from .deployment_state import LIVE

ModelStatus = Literal["trained", "deployed", "archived"]  # the API's too
MODEL_STATUSES: tuple[str, ...] = ModelStatus.__args__


class ModelRepository:
    def __init__(self, db: Database):
        self.models = db.models

    def create(self, doc: dict[str, Any]) -> dict[str, Any]:
        ts = now()
        doc = {**doc, "status": "trained", "created_at": ts, "updated_at": ts}
        doc["_id"] = self.models.insert_one(doc).inserted_id
        return doc

    def get(self, model_id: ObjectId) -> dict[str, Any] | None:
        return self.models.find_one({"_id": model_id})

    def by_task(self, task_id: ObjectId) -> dict[str, Any] | None:
        return self.models.find_one({"task_id": str(task_id)})

    def list(self, status: str | None, skip: int, limit: int) -> tuple[list[dict], int]:
        query = {"status": status} if status else {}
        return page(self.models, query, skip, limit)

    def count(self) -> int:
        return self.models.count_documents({})

    def count_using_group(self, group_id: str) -> int:
        """Models of ``group_id`` that are not archived."""
        return self.models.count_documents({"group_id": group_id, "status": {"$ne": "archived"}})

    def transition(self, model_id: ObjectId, from_statuses: tuple[str, ...], to_status: str,
                   **fields: Any) -> dict[str, Any] | None:
        """Move to ``to_status`` if the model is in one of ``from_statuses``; the new doc or None."""
        return move(self.models, model_id, from_statuses, to_status, **fields)

    def update(self, model_id: ObjectId, **fields: Any) -> dict[str, Any] | None:
        return set_if(self.models, {"_id": model_id}, **fields)

    def set_if_deployment(self, model_id: ObjectId, state: str, **fields: Any) -> dict[str, Any] | None:
        """Set ``fields`` if the model's ``deployment.state`` is still ``state``; the new doc or None."""
        return set_if(self.models, {"_id": model_id, "deployment.state": state}, **fields)

    def finish_stopping(self) -> int:
        """Every model whose application was being deleted (``stopping``) is ``stopped``: a new Ray cluster
        has no application of it. The count."""
        ts = now()
        return self.models.update_many({"deployment.state": "stopping"}, {"$set": {
            "deployment.state": "stopped", "deployment.stopped_at": ts, "updated_at": ts}}).modified_count

    def with_deployment(self) -> list[dict[str, Any]]:
        """Models that have (or are getting) a served application."""
        return list(self.models.find({"deployment.state": {"$in": list(LIVE)}}))

    def delete(self, model_id: ObjectId, unless_statuses: tuple[str, ...]) -> bool:
        """Delete the model unless it is in one of ``unless_statuses``; True when deleted."""
        return self.models.delete_one({"_id": model_id, "status": {"$nin": list(unless_statuses)}}).deleted_count == 1

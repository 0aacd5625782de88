"""Repository of trained models (collection ``models``): one per completed training task.

``task_id`` is stored as a hex string (see ``tasks``).
"""
from __future__ import annotations

from typing import Any

from bson import ObjectId
from pymongo import DESCENDING
from pymongo.database import Database

from .tasks import now

MODEL_STATUSES = ("trained", "deployed", "archived")


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
        total = self.models.count_documents(query)
        docs = self.models.find(query).sort([("created_at", DESCENDING), ("_id", DESCENDING)]).skip(skip).limit(limit)
        return list(docs), total

    def count(self) -> int:
        return self.models.count_documents({})

"""Repository of sweeps started through the API (collection ``sweeps``)."""
from __future__ import annotations

from typing import Any, Literal

from bson import ObjectId
from pymongo.database import Database

from .common import move, now

SweepStatus = Literal["running", "completed", "failed"]  # the API's too: running -> completed | failed


class SweepRepository:
    def __init__(self, db: Database):
        self.sweeps = db.sweeps

    def create(self, doc: dict[str, Any]) -> dict[str, Any]:
        ts = now()
        doc = {**doc, "status": "running", "created_at": ts, "updated_at": ts, "results": [], "best_params": None,
               "best_cost": None, "model_id": None, "error": None}
        doc["_id"] = self.sweeps.insert_one(doc).inserted_id
        return doc

    def get(self, sweep_id: ObjectId) -> dict[str, Any] | None:
        return self.sweeps.find_one({"_id": sweep_id})

    def count_using_group(self, group_id: str) -> int:
        """Running sweeps on ``group_id``."""
        return self.sweeps.count_documents({"group_id": group_id, "status": "running"})

    def finish(self, sweep_id: ObjectId, status: str, **fields: Any) -> None:
        move(self.sweeps, sweep_id, ("running",), status, **fields)

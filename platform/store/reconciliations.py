"""Repository of reconciliation results (collection ``reconciliations``), one per run.

``task_id`` and ``model_id`` are hex strings (see ``tasks``).
"""
from __future__ import annotations

from typing import Any

from pymongo.database import Database

from .common import page


class ReconciliationRepository:
    def __init__(self, db: Database):
        self.reconciliations = db.reconciliations

    def create(self, doc: dict[str, Any]) -> dict[str, Any]:
        doc = dict(doc)
        doc["_id"] = self.reconciliations.insert_one(doc).inserted_id
        return doc

    def by_task(self, task_id: str, skip: int, limit: int) -> tuple[list[dict[str, Any]], int]:
        return page(self.reconciliations, {"task_id": task_id}, skip, limit, newest="timestamp")

"""Repository of reconciliation results (collection ``reconciliations``), one per run.

``task_id`` and ``model_id`` are hex strings (see ``tasks``).
"""
from __future__ import annotations

from typing import Any

from pymongo import DESCENDING
from pymongo.database import Database


class ReconciliationRepository:
    def __init__(self, db: Database):
        self.reconciliations = db.reconciliations

    def create(self, doc: dict[str, Any]) -> dict[str, Any]:
        doc = dict(doc)
        doc["_id"] = self.reconciliations.insert_one(doc).inserted_id
        return doc

    def by_task(self, task_id: str, skip: int, limit: int) -> tuple[list[dict[str, Any]], int]:
        query = {"task_id": task_id}
        total = self.reconciliations.count_documents(query)
        docs = (self.reconciliations.find(query).sort([("timestamp", DESCENDING), ("_id", DESCENDING)])
                .skip(skip).limit(limit))
        return list(docs), total

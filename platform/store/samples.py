"""Time-series samples (collection ``samples``) behind the metrics routes.

One document per sample: ``kind`` (``request``: one served predict, ``latency_s``; ``resource``:
one replica's ``cpu`` and ``memory`` as shares of its request; ``system``: the machine's ``cpu`` and
``memory`` fractions), ``model_id`` (hex string; ``SYSTEM`` for the machine's samples: nx-27017 does
not match ``null``), ``ts`` (UTC datetime) and the values.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pymongo import ASCENDING
from pymongo.database import Database

from .client import as_utc

KINDS = ("request", "resource", "system")
SYSTEM = "system"


class SampleRepository:
    def __init__(self, db: Database):
        self.samples = db.samples

    def add_many(self, docs: list[dict[str, Any]]) -> None:
        if docs:
            self.samples.insert_many([dict(d) for d in docs], ordered=False)

    def window(self, kind: str, model_id: str, start: datetime, end: datetime,
               limit: int = 200_000) -> list[dict[str, Any]]:
        """Samples of ``kind`` with ``start <= ts < end``, oldest first (at most ``limit``).

        The store is asked for one second more on each side and the bounds are applied here:
        nx-27017 compares dates at whole seconds, so a sample written 2 ms before ``end`` would be lost.
        """
        pad = timedelta(seconds=1)
        query = {"kind": kind, "model_id": model_id, "ts": {"$gte": start - pad, "$lt": end + pad}}
        docs = self.samples.find(query, {"_id": 0}).sort("ts", ASCENDING).limit(limit)
        return [d for d in docs if start <= as_utc(d["ts"]) < end]

    def delete_model(self, model_id: str) -> None:
        self.samples.delete_many({"model_id": model_id})


"""Repositories of autoscalers (collection ``autoscalers``) and their decisions (``autoscaler_decisions``).

An autoscaler's document keeps its spec, ``status`` (``running`` -> ``stopped`` | ``failed``) and the
running summary: ``decisions``, ``cost_so_far`` (sum of the cluster's interval costs), ``hpa_cost_so_far``
(the HPA twin's, simulated target only), ``fallbacks`` (intervals run by HPA's replicas because the
SLO was breached), ``slo_breaches`` (intervals that breached it), ``guardrail_clips``. ``model_id``
and ``autoscaler_id`` are hex strings.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.database import Database

from .client import as_utc
from .common import move, now, page

AutoscalerStatus = Literal["running", "stopped", "failed"]  # the API's too
AUTOSCALER_STATUSES: tuple[str, ...] = AutoscalerStatus.__args__


class AutoscalerRepository:
    def __init__(self, db: Database):
        self.autoscalers = db.autoscalers
        self.decisions = db.autoscaler_decisions

    def create(self, doc: dict[str, Any]) -> dict[str, Any]:
        ts = now()
        doc = {**doc, "status": "running", "created_at": ts, "updated_at": ts, "error": None, "decisions": 0,
               "cost_so_far": 0.0, "hpa_cost_so_far": 0.0, "fallbacks": 0, "slo_breaches": 0, "guardrail_clips": 0}
        doc["_id"] = self.autoscalers.insert_one(doc).inserted_id
        return doc

    def get(self, autoscaler_id: ObjectId) -> dict[str, Any] | None:
        return self.autoscalers.find_one({"_id": autoscaler_id})

    def list(self, status: str | None, skip: int, limit: int) -> tuple[list[dict[str, Any]], int]:
        query = {} if status is None else {"status": status}
        docs, total = page(self.autoscalers, query, skip, limit)
        return list(docs), total

    def running(self) -> list[dict[str, Any]]:
        return list(self.autoscalers.find({"status": "running"}))

    def active_on(self, target_key: str) -> dict[str, Any] | None:
        """The running ``active`` autoscaler that claims ``target_key``, if any."""
        return self.autoscalers.find_one({"status": "running", "mode": "active", "target_key": target_key})

    def finish(self, autoscaler_id: ObjectId, status: str, **fields: Any) -> dict[str, Any] | None:
        """``running`` -> ``status``; the new document, or None when it was not running."""
        return move(self.autoscalers, autoscaler_id, ("running",), status, **fields)

    def delete(self, autoscaler_id: ObjectId) -> None:
        """An autoscaler that never started (and so has no decisions)."""
        self.autoscalers.delete_one({"_id": autoscaler_id})

    def set_fields(self, autoscaler_id: ObjectId, **fields: Any) -> None:
        self.autoscalers.update_one({"_id": autoscaler_id}, {"$set": {"updated_at": now(), **fields}})

    def record(self, autoscaler_id: ObjectId, decision: dict[str, Any]) -> dict[str, Any] | None:
        """Store one decision and fold it into the running summary; the autoscaler's new document.

        Once per step, whatever happens between the two writes: the row is keyed by ``(autoscaler_id,
        step)`` (a unique index; a row left by a run killed before it counted is replaced), and the summary
        counts step ``k`` only while ``decisions == k``. None (nothing counted) when the step was
        counted already, e.g. by a second actor of the same autoscaler."""
        key = {"autoscaler_id": str(autoscaler_id), "step": decision["step"]}
        hpa = decision.get("hpa_outcome") or {}
        counted = self.autoscalers.find_one({"_id": autoscaler_id, "decisions": {"$gt": decision["step"]}}, {"_id": 1})
        if counted is not None:
            return None
        self.decisions.replace_one(key, {**decision, **key}, upsert=True)
        return self.autoscalers.find_one_and_update({"_id": autoscaler_id, "decisions": decision["step"]}, {
            "$inc": {"decisions": 1, "cost_so_far": decision["cost"], "hpa_cost_so_far": hpa.get("cost", 0.0),
                     "fallbacks": int(decision["source"] == "fallback"), "slo_breaches": int(decision["slo_breach"]),
                     "guardrail_clips": int(decision["source"] == "guardrail")},
            "$set": {"updated_at": now(), "last_decision": decision["time"]}}, return_document=ReturnDocument.AFTER)

    def decisions_between(self, autoscaler_id: str, start: datetime, end: datetime, skip: int,
                          limit: int) -> tuple[list[dict[str, Any]], int]:
        """A page of the decisions with ``start <= time <= end`` in order, and their count. Steps grow
        with time, so the window is a step range: its ends are found among the decisions within a
        second of ``start`` and ``end`` (nx-27017 compares dates at whole seconds, as in
        ``samples.window``), and only the page is read."""
        lo = self._edge(autoscaler_id, {"$gte": start - timedelta(seconds=1)}, ASCENDING, lambda t: t >= start)
        hi = self._edge(autoscaler_id, {"$lte": end + timedelta(seconds=1)}, DESCENDING, lambda t: t <= end)
        if lo is None or hi is None or lo > hi:
            return [], 0
        query = {"autoscaler_id": autoscaler_id, "step": {"$gte": lo, "$lte": hi}}
        docs = self.decisions.find(query, {"_id": 0}).sort([("step", ASCENDING)]).skip(skip).limit(limit)
        return list(docs), self.decisions.count_documents(query)

    def _edge(self, autoscaler_id: str, padded: dict, order: int, inside) -> int | None:
        """The first step, walking in ``order`` from the padded bound, whose time is ``inside``."""
        rows = self.decisions.find({"autoscaler_id": autoscaler_id, "time": padded}, {"step": 1, "time": 1})
        for row in rows.sort([("step", order)]):
            if inside(as_utc(row["time"])):
                return row["step"]
        return None

    def delete_decisions(self, autoscaler_id: str) -> None:
        self.decisions.delete_many({"autoscaler_id": autoscaler_id})

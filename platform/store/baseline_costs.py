"""Cache of reconciliation's baseline costs (collection ``baseline_costs``).

One document per cache key: ``_id`` is the key (sha256 hex, from
``lwmecps.platform.training.reconcile.baseline_key``: group content fingerprint, env params and code
fingerprint, seed, sample size, baseline name), so a key is unique by construction. The other fields
are for lookup and pruning: ``group`` (name), ``group_fingerprint``, ``env_fingerprint``,
``train_group_fingerprint`` (None unless the baseline is tuned on the training group), ``baseline``,
``sample_size``, ``seed``, ``cost`` (mean step cost) and ``created_at``.

A group whose content changed gets another fingerprint, hence other keys: its old rows are never
matched again, and ``put_many`` deletes them. The numbers are a cache: losing them costs only time.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from .common import now

FIELDS = ("group", "group_fingerprint", "env_fingerprint", "train_group_fingerprint", "baseline", "sample_size",
          "seed", "cost")


class BaselineCostRepository:
    def __init__(self, db: Database):
        self.costs = db.baseline_costs

    def lookup(self, groups: Iterable[str], sample_size: int, seed: int) -> dict[str, float]:
        """``{key: cost}`` of every stored cost for these groups at this sample size and seed."""
        query = {"group": {"$in": sorted(set(groups))}, "sample_size": int(sample_size), "seed": int(seed)}
        return {str(d["_id"]): float(d["cost"]) for d in self.costs.find(query, {"cost": 1})}

    def put_many(self, entries: Iterable[dict[str, Any]]) -> int:
        """Store computed costs (each entry: ``key`` and ``FIELDS``); drop rows of older group contents."""
        written, current = 0, {}
        for entry in entries:
            doc = {field: entry.get(field) for field in FIELDS}
            doc["created_at"] = now()
            try:
                # $set, not replace_one: nx-27017's replace_one upsert drops the filter's _id
                self.costs.update_one({"_id": entry["key"]}, {"$set": doc}, upsert=True)
            except DuplicateKeyError:  # a concurrent run stored the same key (and the same number)
                pass
            written += 1
            current[entry["group"]] = entry["group_fingerprint"]
        for group, fingerprint in current.items():
            self.costs.delete_many({"group": group, "group_fingerprint": {"$ne": fingerprint}})
        return written

    def count(self, group: str | None = None) -> int:
        return self.costs.count_documents({} if group is None else {"group": group})

    def clear(self, group: str | None = None) -> int:
        """Forget the cached costs (of one group); they are recomputed on the next reconcile."""
        return self.costs.delete_many({} if group is None else {"group": group}).deleted_count

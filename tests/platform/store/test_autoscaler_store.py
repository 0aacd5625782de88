"""Autoscaler decisions in the store, on both wire servers: each step is recorded and counted once,
whether a second loop repeats it or a loop was killed between the row and the count."""
import uuid
from datetime import datetime, timezone

import pytest

from lwmecps.platform.store import Store


@pytest.fixture()
def store(mongo_uri):
    return Store(mongo_uri, f"t{uuid.uuid4().hex[:8]}").init()


def decision(step, cost=1.0, source="policy"):
    return {"step": step, "time": datetime.now(timezone.utc), "cost": cost, "source": source, "slo_breach": False,
            "hpa_outcome": {"cost": 2.0}, "applied_replicas": [1, 1]}


def test_a_step_is_recorded_and_counted_once(store):
    oid = store.autoscalers.create({"model_id": "m", "mode": "active"})["_id"]
    assert store.autoscalers.record(oid, decision(0, 1.5))["decisions"] == 1
    assert store.autoscalers.record(oid, decision(0, 9.0)) is None  # a second loop repeating step 0
    doc = store.autoscalers.record(oid, decision(1, 0.5))
    assert (doc["decisions"], doc["cost_so_far"], doc["hpa_cost_so_far"]) == (2, 2.0, 4.0)
    rows = list(store.db.autoscaler_decisions.find({"autoscaler_id": str(oid)}).sort("step", 1))
    assert [(r["step"], r["cost"]) for r in rows] == [(0, 1.5), (1, 0.5)]


def test_a_row_left_uncounted_is_replaced_not_doubled(store):
    oid = store.autoscalers.create({"model_id": "m", "mode": "active"})["_id"]
    store.autoscalers.record(oid, decision(0))
    # a loop killed after writing step 1's row, before counting it: the resumed loop makes step 1 again
    store.db.autoscaler_decisions.insert_one({**decision(1, 7.0), "autoscaler_id": str(oid)})
    doc = store.autoscalers.record(oid, decision(1, 3.0))
    assert (doc["decisions"], doc["cost_so_far"]) == (2, 4.0)
    assert [r["cost"] for r in store.db.autoscaler_decisions.find({"autoscaler_id": str(oid), "step": 1})] == [3.0]


def test_the_unique_index_replaces_an_older_plain_one(mongo_uri):
    from pymongo.errors import DuplicateKeyError

    from lwmecps.platform.store.client import ensure_indexes

    plain = Store(mongo_uri, f"t{uuid.uuid4().hex[:8]}").db
    plain.autoscaler_decisions.create_index([("autoscaler_id", 1), ("step", 1)])  # as stores before it was unique
    ensure_indexes(plain)
    plain.autoscaler_decisions.insert_one({"autoscaler_id": "a", "step": 0})
    with pytest.raises(DuplicateKeyError):
        plain.autoscaler_decisions.insert_one({"autoscaler_id": "a", "step": 0})

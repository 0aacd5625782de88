"""User groups in the store, on both wire servers: a spec larger than one chunk comes back whole, a
name is taken once, and a deletion leaves no chunk behind."""
import uuid

import numpy as np
import pytest

from lwmecps.platform.store import GroupExists, Store
from lwmecps.platform.store.groups import CHUNK_BYTES


@pytest.fixture()
def store(mongo_uri):
    return Store(mongo_uri, f"t{uuid.uuid4().hex[:8]}").init()


def big_spec(name="mine"):
    rng = np.random.default_rng(0)  # random numbers: they do not compress to below one chunk
    users = rng.uniform(0, 100, (8640, 64)).round(6).tolist()
    return {"name": name, "nodes": [{"name": f"bs{i}", "cpu": 8, "memory_mib": 16384} for i in range(64)],
            "trace": {"slot_s": 10, "users": users}}


def test_a_spec_of_several_chunks_round_trips(store):
    spec = big_spec()
    doc = store.groups.create(spec, {"_id": "mine", "nodes": 64, "source": "trace"})
    assert doc["bytes"] > 2 * CHUNK_BYTES  # really chunked
    got = store.groups.get("mine")
    assert got["nodes"] == 64 and got["created_at"].tzinfo is not None
    assert store.groups.spec(got) == spec
    assert [g["_id"] for g in store.groups.list()] == ["mine"]


def test_a_name_is_taken_once_and_a_deletion_leaves_nothing(store):
    small = {"name": "g", "nodes": [{"name": "a", "cpu": 8, "memory_mib": 1024}],
             "trace": {"slot_s": 3600, "users": [[1.0]] * 24}}
    store.groups.create(small, {"_id": "g", "nodes": 1})
    with pytest.raises(GroupExists):
        store.groups.create({**small, "description": "other"}, {"_id": "g", "nodes": 1})
    assert store.groups.spec(store.groups.get("g")) == small  # the first one is intact
    assert store.db.group_chunks.count_documents({}) == 1  # the refused upload left no chunk
    assert store.groups.delete("g") and not store.groups.delete("g")
    assert store.groups.get("g") is None and store.db.group_chunks.count_documents({}) == 0

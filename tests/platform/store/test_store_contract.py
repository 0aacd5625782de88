"""The store's contract, run against both MongoDB wire servers (nx-27017 and SecantusDB)."""
import threading
import uuid

import pytest
from bson import ObjectId
from pymongo.errors import DuplicateKeyError

from lwmecps.platform.auth import create_token, role_of, token_hash
from lwmecps.platform.settings import Settings
from lwmecps.platform.store import InvalidIdError, Store, parse_id


@pytest.fixture()
def store(mongo_uri):
    return Store(mongo_uri, f"t{uuid.uuid4().hex[:8]}").init()


def new_task(store, **kw):
    return store.tasks.create({"name": "t", "model_type": "ppo", "parameters": {}, "total_episodes": 4,
                               "group_id": "profile-a", **kw})


def test_create_and_read_back(store):
    task = new_task(store)
    got = store.tasks.get(task["_id"])
    assert got["status"] == "created" and got["progress"] == 0.0 and got["created_at"].tzinfo is not None
    assert store.tasks.get(ObjectId()) is None


def test_transitions_are_conditional(store):
    task = new_task(store)
    assert store.tasks.transition(task["_id"], ("created",), "running")["status"] == "running"
    assert store.tasks.transition(task["_id"], ("created",), "queued") is None  # not created any more
    assert store.tasks.transition(task["_id"], ("running",), "cancelled")["status"] == "cancelled"
    assert store.tasks.transition(task["_id"], ("running",), "completed") is None  # the cancel won


def test_one_winner_when_racing(store):
    task = new_task(store)
    winners = []

    def try_finish(to):
        if store.tasks.transition(task["_id"], ("created",), to) is not None:
            winners.append(to)

    threads = [threading.Thread(target=try_finish, args=(s,)) for s in ("cancelled", "completed") * 4]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert len(winners) == 1


def test_episodes_progress_and_idempotent_replay(store):
    task = new_task(store)
    rows = [{"reward": -1.0 * i, "steps": 288, "latency": 0.1} for i in range(3)]
    assert store.tasks.add_episodes(task["_id"], 0, rows, 4) == 3
    assert store.tasks.add_episodes(task["_id"], 2, rows[2:], 4) == 3  # a resumed run repeats episode 2
    got = store.tasks.get(task["_id"])
    assert got["current_episode"] == 3 and got["progress"] == pytest.approx(0.75)
    assert [e["reward"] for e in store.tasks.episode_metrics(task["_id"])] == [0.0, -1.0, -2.0]


def test_listing_paged_and_filtered(store):
    ids = [new_task(store, name=f"t{i}")["_id"] for i in range(5)]
    store.tasks.transition(ids[0], ("created",), "running")
    docs, total = store.tasks.list(None, 0, 2)
    assert total == 5 and len(docs) == 2 and docs[0]["name"] == "t4"  # newest first
    running, n = store.tasks.list("running", 0, 10)
    assert n == 1 and running[0]["_id"] == ids[0]
    assert store.tasks.count(("created",)) == 4


def test_models_by_task(store):
    task = new_task(store)
    model = store.models.create({"name": "m", "type": "ppo", "task_id": str(task["_id"]), "metrics": {}})
    assert store.models.by_task(task["_id"])["_id"] == model["_id"]
    with pytest.raises(DuplicateKeyError):
        store.models.create({"name": "m", "type": "ppo", "task_id": str(task["_id"]), "metrics": {}})


def test_tokens_are_stored_hashed(store):
    token = create_token(store.tokens, "read", "ci")
    raw = store.db.tokens.find_one({"hash": token_hash(token)})
    assert raw is not None and token not in str(raw)
    settings = Settings(admin_token="admin-from-env")
    assert role_of(token, store.tokens, settings) == "read"
    assert role_of("admin-from-env", store.tokens, settings) == "admin"
    assert role_of("nope", store.tokens, settings) is None
    with pytest.raises(ValueError, match="unknown role"):
        create_token(store.tokens, "root")


@pytest.mark.parametrize("bad", ["", "abc", "z" * 24, "64f1b2a3c9d4e5f6a7b8c9d0x", "../../etc/passwd"])
def test_malformed_ids(bad):
    with pytest.raises(InvalidIdError, match="task_id .* not found: malformed id"):
        parse_id(bad, "task_id")

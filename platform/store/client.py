"""One pymongo client per process, the collections' indexes, and id parsing."""
from __future__ import annotations

import threading
from datetime import datetime, timezone

from bson import ObjectId
from bson.errors import InvalidId
from pymongo import ASCENDING, DESCENDING, MongoClient
from pymongo.database import Database

_lock = threading.Lock()
_clients: dict[str, MongoClient] = {}


class InvalidIdError(ValueError):
    """An id that is not a 24-hex-digit ObjectId string."""


def parse_id(value: str, what: str = "id") -> ObjectId:
    """``ObjectId(value)``, or ``InvalidIdError`` naming ``what`` (validated before any store call).

    A string that is no id names nothing that exists: the API answers it 404, like an unknown id
    (the spec's placeholders ``task-id``, ``model-id`` included), saying why."""
    message = f"{what} {value!r} not found: malformed id (24 hexadecimal characters expected)"
    if not isinstance(value, str) or len(value) != 24:
        raise InvalidIdError(message)
    try:
        return ObjectId(value)
    except InvalidId:
        raise InvalidIdError(message) from None


def as_utc(value: datetime | str) -> datetime:
    """A stored date as an aware UTC datetime. nx-27017 gives back a date written by ``$set`` in
    ``find_one_and_update`` as an ISO string, and a naive datetime means UTC in this project."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def get_db(uri: str, name: str) -> Database:
    """The database ``name`` on a cached client for ``uri`` (clients are thread-safe pools)."""
    with _lock:
        client = _clients.get(uri)
        if client is None:
            client = MongoClient(uri, serverSelectionTimeoutMS=5000, connectTimeoutMS=5000, tz_aware=True,
                                 appname="lwmecps")
            _clients[uri] = client
    return client[name]


def close_all() -> None:
    with _lock:
        for client in _clients.values():
            client.close()
        _clients.clear()


def ensure_indexes(db: Database) -> None:
    """Indexes every repository relies on; idempotent, run at start."""
    db.tasks.create_index([("status", ASCENDING), ("created_at", ASCENDING)])
    db.tasks.create_index([("created_at", DESCENDING)])
    db.models.create_index([("task_id", ASCENDING)], unique=True)
    db.models.create_index([("status", ASCENDING), ("created_at", DESCENDING)])
    db.tokens.create_index([("hash", ASCENDING)], unique=True)
    db.episodes.create_index([("task_id", ASCENDING), ("episode", ASCENDING)], unique=True)
    db.reconciliations.create_index([("task_id", ASCENDING), ("timestamp", DESCENDING)])
    db.samples.create_index([("kind", ASCENDING), ("model_id", ASCENDING), ("ts", ASCENDING)])
    db.baseline_costs.create_index([("group", ASCENDING), ("sample_size", ASCENDING), ("seed", ASCENDING)])
    db.group_chunks.create_index([("upload", ASCENDING), ("seq", ASCENDING)], unique=True)
    db.autoscalers.create_index([("status", ASCENDING), ("created_at", DESCENDING)])
    steps = [("autoscaler_id", ASCENDING), ("step", ASCENDING)]
    for index in db.autoscaler_decisions.list_indexes():  # a store from before it was unique: replace it
        if dict(index["key"]) == dict(steps) and not index.get("unique"):
            db.autoscaler_decisions.drop_index(index["name"])
    db.autoscaler_decisions.create_index(steps, unique=True)  # one row per step (AutoscalerRepository.record)

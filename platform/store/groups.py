"""Repository of user workload groups (collections ``groups`` and ``group_chunks``).

A group is a metadata document in ``groups`` (``_id`` = the group's name; ``nodes``, ``node_names``,
``slots``, ``slot_s``, ``source``, ``description``, ``fingerprint``, ``bytes``, ``upload``,
``created_at``) and its whole ``GroupSpec`` as JSON, zlib-compressed, in chunks of ``CHUNK_BYTES``
in ``group_chunks`` (``upload``, ``seq``, ``data``).

Why chunks and not one document or GridFS: a trace at the 8 MiB CSV limit (64 stations) is ~3 M
numbers, which as a BSON array of doubles passes MongoDB's 16 MiB document limit; and GridFS's
delete fails on nx-27017, our embedded server (``no such column: id``, measured), while plain
documents with a binary field work on every server we test against.

The chunks are written first, the metadata last: a group is visible only once whole, and an upload
that loses the race for a name removes its chunks again.
"""
from __future__ import annotations

import json
import zlib
from typing import Any

from bson import Binary, ObjectId
from pymongo import ASCENDING
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from .common import now

CHUNK_BYTES = 1 << 20


class GroupExists(RuntimeError):
    """A user group of that name is stored already."""


class GroupRepository:
    def __init__(self, db: Database):
        self.groups = db.groups
        self.chunks = db.group_chunks

    def create(self, spec: dict[str, Any], meta: dict[str, Any]) -> dict[str, Any]:
        """Store ``spec`` (a ``GroupSpec`` as JSON-able dict) under ``meta["_id"]``; ``GroupExists``
        if that name is taken."""
        if self.groups.find_one({"_id": meta["_id"]}, {"_id": 1}) is not None:
            raise GroupExists(meta["_id"])
        data = zlib.compress(json.dumps(spec, separators=(",", ":")).encode(), 6)
        upload = str(ObjectId())  # a string: nx-27017 does not match an ObjectId outside _id
        self.chunks.insert_many([{"upload": upload, "seq": i, "data": Binary(data[o:o + CHUNK_BYTES])}
                                 for i, o in enumerate(range(0, len(data), CHUNK_BYTES))])
        doc = {**meta, "upload": upload, "bytes": len(data), "created_at": now()}
        try:
            self.groups.insert_one(doc)
        except DuplicateKeyError:
            self.chunks.delete_many({"upload": upload})
            raise GroupExists(meta["_id"]) from None
        return doc

    def get(self, name: str) -> dict[str, Any] | None:
        return self.groups.find_one({"_id": name})

    def list(self) -> list[dict[str, Any]]:
        return list(self.groups.find({}).sort([("_id", ASCENDING)]))

    def spec(self, doc: dict[str, Any]) -> dict[str, Any]:
        """The stored ``GroupSpec`` dict of a metadata document."""
        parts = self.chunks.find({"upload": doc["upload"]}).sort([("seq", ASCENDING)])
        return json.loads(zlib.decompress(b"".join(bytes(p["data"]) for p in parts)))

    def delete(self, name: str) -> bool:
        doc = self.groups.find_one_and_delete({"_id": name})
        if doc is None:
            return False
        self.chunks.delete_many({"upload": doc["upload"]})
        return True

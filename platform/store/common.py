"""What every repository does the same way: timestamps, a page of a listing, a conditional status move."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from pymongo import DESCENDING, ReturnDocument
from pymongo.collection import Collection


def now() -> datetime:
    """The store's timestamps: aware UTC."""
    return datetime.now(timezone.utc)


def page(collection: Collection, query: dict[str, Any], skip: int, limit: int, newest: str = "created_at",
         projection: dict[str, Any] | None = None) -> tuple[list[dict[str, Any]], int]:
    """``(documents skip..skip+limit, total)`` matching ``query``, newest first by ``newest``; ``_id``
    (monotonic per process) breaks the ties of a timestamp's millisecond precision."""
    total = collection.count_documents(query)
    cursor = collection.find(query, projection).sort([(newest, DESCENDING), ("_id", DESCENDING)])
    return list(cursor.skip(skip).limit(limit)), total


def set_if(collection: Collection, query: dict[str, Any], **fields: Any) -> dict[str, Any] | None:
    """``fields`` (and ``updated_at``) set on the document matching ``query`` (its ``_id`` and the state it
    must still be in), atomically; the new document, or None when it no longer matched."""
    return collection.find_one_and_update(query, {"$set": {**fields, "updated_at": now()}},
                                          return_document=ReturnDocument.AFTER)


def move(collection: Collection, doc_id: Any, from_statuses: tuple[str, ...], to_status: str,
         **fields: Any) -> dict[str, Any] | None:
    """``status`` -> ``to_status`` (with ``fields`` and ``updated_at``) only if it is one of
    ``from_statuses``, atomically (a cancel racing a completion cannot both win); the new document,
    or None when the status was another."""
    return set_if(collection, {"_id": doc_id, "status": {"$in": list(from_statuses)}}, status=to_status, **fields)

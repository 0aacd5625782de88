"""Repository of API tokens (collection ``tokens``): only SHA-256 hashes are stored."""
from __future__ import annotations

from typing import Any

from pymongo.database import Database

from .common import now


class TokenRepository:
    def __init__(self, db: Database):
        self.tokens = db.tokens

    def add(self, token_hash: str, role: str, name: str) -> None:
        self.tokens.insert_one({"hash": token_hash, "role": role, "name": name, "created_at": now()})

    def replace_named(self, token_hash: str, role: str, name: str) -> None:
        """The one token called ``name`` (any earlier one of that name is dropped)."""
        self.tokens.delete_many({"name": name, "hash": {"$ne": token_hash}})
        self.tokens.update_one({"hash": token_hash}, {"$set": {"role": role, "name": name},
                                                       "$setOnInsert": {"created_at": now()}}, upsert=True)

    def drop_named(self, name: str) -> None:
        self.tokens.delete_many({"name": name})

    def find(self, token_hash: str) -> dict[str, Any] | None:
        return self.tokens.find_one({"hash": token_hash}, {"_id": 0, "role": 1, "name": 1})

    def count(self, role: str | None = None) -> int:
        return self.tokens.count_documents({"role": role} if role else {})

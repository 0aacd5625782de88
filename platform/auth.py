"""API tokens: random, shown once, stored as SHA-256 hashes, compared in constant time."""
from __future__ import annotations

import hashlib
import hmac
import secrets

from .settings import Settings
from .store import TokenRepository

ROLES = ("admin", "read")


def new_token() -> str:
    return "lwm_" + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(tokens: TokenRepository, role: str, name: str = "") -> str:
    """A new token with ``role``; only its hash is stored. Returns the token (show it once)."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; roles: {', '.join(ROLES)}")
    token = new_token()
    tokens.add(token_hash(token), role, name)
    return token


def role_of(token: str, tokens: TokenRepository, settings: Settings) -> str | None:
    """The role of ``token``, or None when it is unknown."""
    if not token:
        return None
    if settings.admin_token is not None and hmac.compare_digest(token.encode(),
                                                                settings.admin_token.get_secret_value().encode()):
        return "admin"
    # the lookup is by hash: equal hashes are found by an index, never compared byte by byte here
    found = tokens.find(token_hash(token))
    return found["role"] if found else None

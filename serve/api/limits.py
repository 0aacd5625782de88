"""Request body size limit as a pure ASGI middleware: 413 before the body is read when
``Content-Length`` says too much; a body without ``Content-Length`` (chunked) is read here first,
at most ``limit`` bytes of it, then handed on. ``overrides`` give some path prefixes a limit of
their own (group uploads: a trace of up to 8 MiB)."""
from __future__ import annotations

import json


class BodyLimit:
    def __init__(self, app, limit: int, overrides: dict[str, tuple[int, str]] | None = None):
        self.app, self.limit, self.overrides = app, limit, overrides or {}

    def _limit(self, path: str) -> tuple[int, str]:
        for prefix, (limit, why) in self.overrides.items():
            if path == prefix or path.startswith(prefix + "/"):
                return limit, why
        return self.limit, "LWMECPS_MAX_BODY_BYTES"

    async def _reject(self, send, limit: int, why: str) -> None:
        body = json.dumps({"detail": f"the request body exceeds {limit} bytes ({why})"}).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit, why = self._limit(scope.get("path", ""))
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None:
            try:
                too_big = int(length) > limit
            except ValueError:
                too_big = True
            if too_big:
                return await self._reject(send, limit, why)
            return await self.app(scope, receive, send)
        # no declared length: buffer up to the limit, then replay the messages to the app
        messages, seen = [], 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            seen += len(message.get("body", b""))
            if seen > limit:
                return await self._reject(send, limit, why)
            if not message.get("more_body", False):
                break

        async def replay():
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)

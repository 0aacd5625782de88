"""Request body size limit as a pure ASGI middleware: 413 before the body is read when
``Content-Length`` says too much; a body without ``Content-Length`` (chunked) is read here first,
at most ``limit`` bytes of it, then handed on."""
from __future__ import annotations

import json


class BodyLimit:
    def __init__(self, app, limit: int):
        self.app, self.limit = app, limit

    async def _reject(self, send) -> None:
        body = json.dumps({"detail": f"the request body exceeds {self.limit} bytes "
                                     f"(LWMECPS_MAX_BODY_BYTES)"}).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None:
            try:
                too_big = int(length) > self.limit
            except ValueError:
                too_big = True
            if too_big:
                return await self._reject(send)
            return await self.app(scope, receive, send)
        # no declared length: buffer up to the limit, then replay the messages to the app
        messages, seen = [], 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            seen += len(message.get("body", b""))
            if seen > self.limit:
                return await self._reject(send)
            if not message.get("more_body", False):
                break

        async def replay():
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)

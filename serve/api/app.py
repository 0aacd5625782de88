"""The FastAPI application behind /api/v1 (served by Ray Serve, or by uvicorn directly)."""
from __future__ import annotations

import logging
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from pymongo.errors import PyMongoError

from lwmecps.envs import UnknownGroupError
from lwmecps.envs.traces import MAX_BYTES as TRACE_MAX_BYTES
from lwmecps.platform.services.container import Services
from lwmecps.platform.services.errors import (BadRequest, Conflict, Failed, Forbidden, Invalid, NotFound,
                                              TooLarge, TooMany, Unavailable)
from lwmecps.platform.settings import get_settings
from lwmecps.platform.services.health import version
from lwmecps.platform.store import InvalidIdError

from .limits import BodyLimit
from .routes import autoscalers, groups, health, models, monitoring, reconcile, sweeps, training

log = logging.getLogger("lwmecps.api")
UPLOAD_SLACK = 256 * 1024  # multipart boundaries and the topology's text fields, beside the trace


class ErrorBody(BaseModel):
    detail: str | list[Any] = Field(description="what was wrong (a list of field errors for malformed bodies)")


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody, "description": text} for code, text in (
        (400, "bad parameters"), (401, "missing or unknown token"), (403, "read-only token on a write route"),
        (404, "unknown resource"), (409, "conflicts with the resource's state"), (413, "request body too large"),
        (422, "invalid values"), (429, "a limit is reached"), (500, "a failure while carrying out the request"),
        (503, "a component (database, Ray) is unavailable"))}

ERROR_STATUS = {NotFound: 404, UnknownGroupError: 404, Conflict: 409, Invalid: 422, InvalidIdError: 404,
                BadRequest: 400, Unavailable: 503, Failed: 500, TooMany: 429, Forbidden: 403, TooLarge: 413}


def create_app(services: Services | None = None) -> FastAPI:
    app = FastAPI(title="LWMECPS Gym API", version=version(),
                  description="Train, reconcile, deploy and watch edge-cluster replica policies. "
                              "Every route needs `Authorization: Bearer <token>`.")
    app.state.services = services
    settings = services.settings if services is not None else get_settings()
    if settings.cors_origins:  # closed unless configured: browsers elsewhere get no CORS headers
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_credentials=False,
                           allow_methods=["GET", "POST", "DELETE"], allow_headers=["Authorization", "Content-Type"])
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes, overrides={
        "/api/v1/groups": (max(settings.max_body_bytes, TRACE_MAX_BYTES + UPLOAD_SLACK),
                           f"a group upload: a trace of at most {TRACE_MAX_BYTES // 2**20} MiB")})
    for router in (training.router, reconcile.router, models.router, sweeps.router, groups.router,
                   autoscalers.router, monitoring.router, health.router):
        app.include_router(router, prefix="/api/v1", responses=ERROR_RESPONSES)

    _mount_console(app)

    for exc_type, code in ERROR_STATUS.items():
        app.add_exception_handler(exc_type, _handler(code))

    @app.exception_handler(PyMongoError)
    async def _database(request: Request, exc: PyMongoError):
        log.error("database error on %s: %s", request.url.path, type(exc).__name__)
        return JSONResponse({"detail": "the database is unavailable; try again"}, status_code=503)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        ref = uuid.uuid4().hex[:12]
        log.exception("unexpected error %s on %s", ref, request.url.path)
        return JSONResponse({"detail": f"internal error (reference {ref})"}, status_code=500)

    return app


def _mount_console(app: FastAPI) -> None:
    """The web console (static files in the package) at ``/console/``; ``/`` leads there."""
    from importlib import resources

    from fastapi.responses import RedirectResponse
    from fastapi.staticfiles import StaticFiles

    folder = resources.files("lwmecps.serve").joinpath("static/console")
    # follow_symlink: a strict editable install links the files in from the source tree
    app.mount("/console", StaticFiles(directory=str(folder), html=True, follow_symlink=True), name="console")

    @app.get("/", include_in_schema=False)
    def root():
        return RedirectResponse("/console/")


def _handler(code: int):
    async def handle(request: Request, exc: Exception):
        return JSONResponse({"detail": str(exc)}, status_code=code)

    return handle

"""/api/v1/health: the system and its components."""
from __future__ import annotations

from fastapi import APIRouter, Request

from lwmecps.platform.services.health import health

from ..deps import ReadRole, ServicesDep
from ..schemas import Health

router = APIRouter(tags=["monitoring"])


@router.get("/health", response_model=Health)
def get_health(request: Request, services: ServicesDep, _: ReadRole):
    """``healthy`` / ``degraded`` / ``unhealthy`` with each component checked for real."""
    host = request.url.hostname or "localhost"
    return {**health(services.store, services.settings),
            "dashboard_url": f"http://{host}:{services.settings.dashboard_port}"}

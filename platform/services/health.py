"""System health: each component checked for real."""
from __future__ import annotations

import time
from importlib import metadata

from ..ray_here import connected
from ..settings import Settings
from ..store import Store
from ..tracking import wandb_health
from .durations import duration

STARTED = time.monotonic()


def uptime() -> str:
    """Uptime as the spec shows it: its largest whole unit, ``"24h"``, ``"5m"``, ``"42s"``."""
    return duration(time.monotonic() - STARTED, parts=1)


def version() -> str:
    try:
        return metadata.version("lwmecps-gym")
    except metadata.PackageNotFoundError:  # pragma: no cover
        return "unknown"


def kubernetes_status() -> str:
    """``not_configured`` without a kube config; else whether the API server answers."""
    from lwmecps.envs.kubernetes import default_api_client, kube_configured

    if not kube_configured():
        return "not_configured"
    try:
        from kubernetes import client

        client.VersionApi(default_api_client()).get_code(_request_timeout=3)
        return "healthy"
    except Exception as exc:
        return f"unhealthy: {type(exc).__name__}"


def ray_status() -> str:
    try:
        import ray

        if not connected():
            return "unhealthy: not connected"
        return "healthy" if ray.cluster_resources().get("CPU", 0) > 0 else "unhealthy: no CPUs"
    except Exception as exc:
        return f"unhealthy: {type(exc).__name__}"


def health(store: Store, settings: Settings) -> dict:
    try:
        store.ping()
        database = "healthy"
    except Exception as exc:
        database = f"unhealthy: {type(exc).__name__}"
    components = {"api": "healthy", "database": database, "kubernetes": kubernetes_status(),
                  "wandb": wandb_health(settings), "ray": ray_status()}
    essential = [components[k] for k in ("database", "ray")]
    others = [v for k, v in components.items() if k not in ("database", "ray", "kubernetes")]
    if any(v != "healthy" for v in essential):
        status = "unhealthy"
    elif any(v != "healthy" for v in others) or components["kubernetes"].startswith("unhealthy"):
        status = "degraded"
    else:
        status = "healthy"
    return {"status": status, "components": components, "version": version(), "uptime": uptime()}

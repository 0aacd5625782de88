"""Weights & Biases runs: offline by default (runs under ./wandb, ``wandb sync`` later), online
when ``WANDB_API_KEY`` is set. The key is handed to wandb through its own environment variable
only; it never enters a run's config, a log line or a response."""
from __future__ import annotations

import os
from typing import Any

from .settings import Settings

# Config keys that must never reach W&B even if a caller passes them.
_SECRET_WORDS = ("token", "key", "password", "secret", "uri")


def safe_config(config: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in config.items() if not any(w in k.lower() for w in _SECRET_WORDS)}


def start_run(settings: Settings, *, project: str | None, name: str | None, group: str, job_type: str,
              config: dict[str, Any], run_id: str | None = None):
    """A W&B run (resumed when ``run_id`` is given)."""
    os.environ["WANDB_MODE"] = settings.wandb_mode
    os.environ.setdefault("WANDB_SILENT", "true")
    os.environ.setdefault("WANDB_CONSOLE", "off")
    if settings.wandb_api_key is not None:
        os.environ["WANDB_API_KEY"] = settings.wandb_api_key.get_secret_value()
    import wandb

    settings.wandb_dir.mkdir(parents=True, exist_ok=True)
    return wandb.init(project=project or settings.wandb_project, name=name, group=group, job_type=job_type,
                      dir=str(settings.wandb_dir), config=safe_config(config), id=run_id,
                      resume="allow" if run_id else None, reinit="create_new")


def wandb_health(settings: Settings) -> str:
    """``healthy`` when wandb imports and its run folder is writable (offline), or a key is set."""
    try:
        import wandb  # noqa: F401
    except Exception as exc:  # pragma: no cover - wandb is a dependency
        return f"unhealthy: {type(exc).__name__}"
    target = settings.wandb_dir
    return "healthy" if os.access(target if target.exists() else target.parent, os.W_OK) else "unhealthy: not writable"

"""Train a model on this machine without the API (``lwmecps train``)."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any, Callable

from ..algorithms.inference import save_checkpoint
from ..ray_here import ensure
from .loop import train_episodes


def train_local(model_type: str, group, episodes: int, out: Path, seed: int = 0,
                params: dict[str, Any] | None = None,
                on_episodes: Callable[[int, list[dict]], None] | None = None) -> Path:
    """Train ``model_type`` on ``group`` (a shipped group's name or a loaded ``WorkloadGroup``) for
    ``episodes`` episodes; returns the checkpoint folder."""
    import ray

    from ..settings import get_settings
    from . import resources
    from .envs import register
    from .registry import build_config, get_model_type
    from .runner import _redirect_trainable_logs

    build_config(model_type, params, group, seed=seed)  # validates before Ray starts
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    started = ensure(address=os.environ.get("RAY_ADDRESS"), include_dashboard=False, log_to_driver=False,
                     logging_level="ERROR", _temp_dir=None if os.environ.get("RAY_ADDRESS") else os.environ.get(
                         "RAY_TMPDIR") or tempfile.mkdtemp(prefix="ray", dir="/tmp"))
    try:
        register()
        _redirect_trainable_logs(out / "logs")
        settings = get_settings()
        total, free = resources.cluster_cpus()
        footprint = resources.resolve(get_model_type(model_type).resolve(params), settings, free)
        short = resources.shortfall(footprint, total)
        if short is not None:
            raise resources.ParameterError(short)
        algo = build_config(model_type, params, group, seed=seed, footprint=footprint).build_algo()
        try:
            train_episodes(algo, episodes, on_episodes=on_episodes)
            name = group if isinstance(group, str) else group.name
            return save_checkpoint(algo, out / "checkpoint", {"model_type": model_type, "group_id": name,
                                                              "episodes": episodes, "seed": seed})
        finally:
            algo.stop()
    finally:
        if started:
            ray.shutdown()

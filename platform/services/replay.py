"""A model's day replayed beside baselines (the logic behind ``GET /models/{id}/replay``)."""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from lwmecps.envs import ShapeMismatch, UnknownGroupError, check_same_shape

from ..algorithms.inference import checkpoint_layout
from ..settings import Settings
from ..store import Store
from ..training.replay import DEFAULT_BASELINES, REPLAY_BASELINES
from .errors import BadRequest, Failed, NotFound
from .groups import resolve_group
from .models import ModelService
from .ray_tasks import run_task

log = logging.getLogger("lwmecps.replay")
MAX_SEED = 2**31 - 1


def _run_replay(checkpoint: str, group, train_group, seed: int, baselines: list[str]) -> dict[str, Any]:
    """The Ray task (groups come loaded: a user group has no file on the node the task runs on)."""
    import os

    os.environ.setdefault("OMP_NUM_THREADS", "1")
    from ..training.replay import replay

    return replay(checkpoint, group, train_group, seed, baselines)


class ReplayService:
    def __init__(self, store: Store, settings: Settings, models: ModelService):
        self.store, self.settings, self.models = store, settings, models

    def replay(self, model_id: str, group_id: str | None, seed: int, baselines: str | None) -> dict[str, Any]:
        """Validate everything before any work (404 model, 400 group/shape/baselines/seed), then run."""
        model = self.models.get(model_id)
        names = self._baselines(baselines)
        if not 0 <= seed <= MAX_SEED:
            raise BadRequest(f"seed={seed} is outside 0..{MAX_SEED}")
        group = group_id or model["group_id"]
        try:
            target, trained_on = resolve_group(self.store, group), resolve_group(self.store, model["group_id"])
            check_same_shape(trained_on, target)
        except (UnknownGroupError, ShapeMismatch) as exc:
            raise BadRequest(str(exc)) from None
        if not Path(model["checkpoint"]).exists():
            raise NotFound(f"the checkpoint of model {model['_id']} is missing")
        try:
            checkpoint_layout(model["checkpoint"])
        except (ShapeMismatch, FileNotFoundError) as exc:
            raise BadRequest(str(exc)) from None
        try:
            day = run_task(_run_replay, model["checkpoint"], target, trained_on, seed, names,
                           num_cpus=self.settings.reconcile_num_cpus, timeout_s=self.settings.reconcile_timeout_s)
        except ValueError as exc:  # e.g. a static-k above this group's nodes
            raise BadRequest(str(exc)) from None
        except Exception as exc:
            log.exception("replay of model %s failed", model_id)
            raise Failed(f"replay failed: {type(exc).__name__}: {str(exc)[:300]}") from None
        return {"model_id": model_id, "group_id": group, "seed": seed, **day}

    @staticmethod
    def _baselines(value: str | None) -> list[str]:
        if value is None:
            return list(DEFAULT_BASELINES)
        names = [v.strip() for v in value.split(",") if v.strip()]
        for name in names:
            if name not in REPLAY_BASELINES and not (name.startswith("static-") and name[7:].isdigit()):
                raise BadRequest(f"unknown baseline {name!r}; known: {', '.join(REPLAY_BASELINES)}, static-<k>")
        return names

"""/api/v1/training: create, list, read and cancel training tasks."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from lwmecps.platform.store import STATUSES

from ..deps import AdminRole, ReadRole, ServicesDep
from ..schemas import (EpisodeMetrics, TrainingCancelled, TrainingCreate, TrainingCreated, TrainingList,
                       TrainingStatus, TrainingSummary)

router = APIRouter(prefix="/training", tags=["training"])


def _summary(t: dict) -> dict:
    return {"task_id": str(t["_id"]), "name": t["name"], "model_type": t["model_type"], "group_id": t["group_id"],
            "status": t["status"], "progress": t["progress"], "current_episode": t["current_episode"],
            "total_episodes": t["total_episodes"], "model_id": t.get("model_id"), "created_at": t["created_at"],
            "updated_at": t["updated_at"]}


@router.post("", status_code=status.HTTP_201_CREATED, response_model=TrainingCreated)
def create_training(body: TrainingCreate, services: ServicesDep, _: AdminRole):
    """Create a training task; it starts at once (``queued`` while the training slots are full)."""
    task = services.tasks.create(body.model_dump())
    return {"task_id": str(task["_id"]), "status": task["status"], "created_at": task["created_at"]}


@router.get("", response_model=TrainingList)
def list_trainings(services: ServicesDep, _: ReadRole,
                   page: Annotated[int, Query(ge=1, le=100000)] = 1,
                   per_page: Annotated[int, Query(ge=1, le=100)] = 10,
                   status: Annotated[str | None, Query(description=f"one of {', '.join(STATUSES)}")] = None):
    """Training tasks, newest first, optionally filtered by status."""
    tasks, total = services.tasks.list(status, page, per_page)
    return {"tasks": [TrainingSummary(**_summary(t)) for t in tasks], "total": total, "page": page,
            "per_page": per_page}


@router.get("/{task_id}", response_model=TrainingStatus)
def get_training(task_id: str, services: ServicesDep, _: ReadRole):
    """Status, progress (0..1) and per-episode metrics (reward, steps, mean latency in seconds)."""
    task = services.tasks.get(task_id)
    episodes = services.tasks.episodes(task)
    metrics = EpisodeMetrics(episode_rewards=[e["reward"] for e in episodes],
                             episode_steps=[e["steps"] for e in episodes],
                             episode_latencies=[e.get("latency") for e in episodes])
    return {**_summary(task), "parameters": task["parameters"], "metrics": metrics,
            "wandb_run_id": task.get("wandb_run_id"), "error": task.get("error"), "resources": task.get("resources"),
            "env_steps": task.get("env_steps"), "env_steps_per_s": task.get("env_steps_per_s")}


@router.post("/{task_id}/cancel", response_model=TrainingCancelled)
def cancel_training(task_id: str, services: ServicesDep, _: AdminRole):
    """Cancel a created, queued or running task (its actor stops within seconds); 409 when finished."""
    task = services.tasks.cancel(task_id)
    return {"task_id": str(task["_id"]), "status": task["status"], "updated_at": task["updated_at"]}

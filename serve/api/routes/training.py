"""/api/v1/training: create, list, read and cancel training tasks."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from lwmecps.platform.store import STATUSES

from ..deps import AdminRole, ReadRole, ServicesDep
from ..schemas import (EpisodeMetrics, TrainingCancelled, TrainingCreate, TrainingCreated, TrainingList,
                       TrainingStatus)

router = APIRouter(prefix="/training", tags=["training"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=TrainingCreated)
def create_training(body: TrainingCreate, services: ServicesDep, _: AdminRole):
    """Create a training task; it starts at once (``queued`` while the training slots are full)."""
    task = services.tasks.create(body.model_dump())
    return TrainingCreated.model_validate(task)


@router.get("", response_model=TrainingList)
def list_trainings(services: ServicesDep, _: ReadRole,
                   page: Annotated[int, Query(ge=1, le=100000)] = 1,
                   per_page: Annotated[int, Query(ge=1, le=100)] = 10,
                   status: Annotated[str | None, Query(description=f"one of {', '.join(STATUSES)}")] = None):
    """Training tasks, newest first, optionally filtered by status."""
    tasks, total = services.tasks.list(status, page, per_page)
    return TrainingList(tasks=tasks, total=total, page=page, per_page=per_page)


@router.get("/{task_id}", response_model=TrainingStatus)
def get_training(task_id: str, services: ServicesDep, _: ReadRole):
    """Status, progress (0..1) and per-episode metrics (reward, steps, mean latency in seconds)."""
    task = services.tasks.get(task_id)
    metrics = EpisodeMetrics.of(services.tasks.episodes(task))
    return TrainingStatus.model_validate({**task, "metrics": metrics})


@router.post("/{task_id}/cancel", response_model=TrainingCancelled)
def cancel_training(task_id: str, services: ServicesDep, _: AdminRole):
    """Cancel a created, queued or running task (its actor stops within seconds); 409 when finished."""
    task = services.tasks.cancel(task_id)
    return TrainingCancelled.model_validate(task)

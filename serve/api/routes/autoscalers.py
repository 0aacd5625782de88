"""/api/v1/autoscalers: a deployed policy running (or shadowing HPA on) a cluster, its decisions and savings."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from lwmecps.platform.services.autoscalers import MAX_DECISIONS
from lwmecps.platform.store import AUTOSCALER_STATUSES

from ..deps import AdminRole, ReadRole, ServicesDep
from ..schemas_autoscalers import AutoscalerCreate, AutoscalerList, AutoscalerOut, DecisionsOut

router = APIRouter(prefix="/autoscalers", tags=["autoscalers"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=AutoscalerOut)
def create_autoscaler(body: AutoscalerCreate, services: ServicesDep, _: AdminRole):
    """Start an autoscaler (a detached Ray actor) for a deployed model. 409 when the model is not
    deployed or another ``active`` autoscaler runs the same target."""
    return AutoscalerOut.model_validate(services.autoscalers.create(body.model_dump()))


@router.get("", response_model=AutoscalerList)
def list_autoscalers(services: ServicesDep, _: ReadRole,
                     page: Annotated[int, Query(ge=1, le=100000)] = 1,
                     per_page: Annotated[int, Query(ge=1, le=100)] = 10,
                     status: Annotated[str | None, Query(description=f"one of {', '.join(AUTOSCALER_STATUSES)}")] = None):
    docs, total = services.autoscalers.list(status, page, per_page)
    return AutoscalerList(autoscalers=docs, total=total, page=page, per_page=per_page)


@router.get("/{autoscaler_id}", response_model=AutoscalerOut)
def get_autoscaler(autoscaler_id: str, services: ServicesDep, _: ReadRole):
    return AutoscalerOut.model_validate(services.autoscalers.get(autoscaler_id))


@router.post("/{autoscaler_id}/stop", response_model=AutoscalerOut)
def stop_autoscaler(autoscaler_id: str, services: ServicesDep, _: AdminRole):
    """Stop the loop (409 when it is not running); its decisions stay."""
    return AutoscalerOut.model_validate(services.autoscalers.stop(autoscaler_id))


@router.get("/{autoscaler_id}/decisions", response_model=DecisionsOut)
def autoscaler_decisions(autoscaler_id: str, services: ServicesDep, _: ReadRole,
                         start_time: Annotated[str | None, Query(description="ISO 8601; default its start")] = None,
                         end_time: Annotated[str | None, Query(description="ISO 8601; default now")] = None,
                         page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
                         per_page: Annotated[int, Query(ge=1, le=MAX_DECISIONS)] = 100):
    """The decisions in the window, oldest first, a page at a time, with the running summary."""
    return services.autoscalers.decisions(autoscaler_id, start_time, end_time, page, per_page)

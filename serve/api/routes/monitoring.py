"""/api/v1/model-types and /api/v1/metrics."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from ..deps import ReadRole, ServicesDep
from ..schemas_models import ModelTypeList, SystemMetrics

router = APIRouter(tags=["monitoring"])


@router.get("/model-types", response_model=ModelTypeList)
def list_model_types(_: ReadRole):
    """The model types a training task accepts, with their parameters (the API's keys)."""
    from lwmecps.platform.training.registry import COMMON_PARAMS, MODEL_TYPES, SPEC_PARAMS

    return {"model_types": [{"name": mt.name, "description": mt.description,
                             "parameters": sorted({**SPEC_PARAMS, **COMMON_PARAMS, **mt.extra})}
                            for mt in MODEL_TYPES.values()]}


@router.get("/metrics", response_model=SystemMetrics)
def system_metrics(services: ServicesDep, _: ReadRole,
                   start_time: Annotated[str | None, Query(description="ISO 8601; default end_time - 1 h")] = None,
                   end_time: Annotated[str | None, Query(description="ISO 8601; default now")] = None,
                   interval: Annotated[str | None, Query(description="1m, 5m or 1h; default 1m")] = None):
    """Machine CPU/memory per interval, the Kubernetes cluster (when configured), training counts."""
    return services.metrics.system(start_time, end_time, interval)

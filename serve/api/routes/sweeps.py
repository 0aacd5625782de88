"""/api/v1/sweeps: a Ray Tune sweep over a model type's parameters, and its results."""
from __future__ import annotations

from fastapi import APIRouter, status

from ..deps import AdminRole, ReadRole, ServicesDep
from ..schemas_sweeps import SweepCreate, SweepOut

router = APIRouter(prefix="/sweeps", tags=["sweeps"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=SweepOut)
def create_sweep(body: SweepCreate, services: ServicesDep, _: AdminRole):
    """Start a sweep (a Ray task running Tune); poll ``GET /sweeps/{id}`` for its results."""
    return SweepOut.model_validate(services.sweeps.create(body.model_dump()))


@router.get("/{sweep_id}", response_model=SweepOut)
def get_sweep(sweep_id: str, services: ServicesDep, _: ReadRole):
    return SweepOut.model_validate(services.sweeps.get(sweep_id))

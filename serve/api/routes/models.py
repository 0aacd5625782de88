"""/api/v1/models: list, read, archive, delete, deploy, undeploy, predict, serving metrics and replay."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from lwmecps.platform.store import MODEL_STATUSES

from ..deps import AdminRole, ReadRole, ServicesDep
from ..schemas_models import (DeployRequest, DeployResponse, ModelList, ModelMetricsOut, ModelOut, PredictRequest,
                              PredictResponse)
from ..schemas_replay import ReplayOut

router = APIRouter(prefix="/models", tags=["models"])


@router.get("", response_model=ModelList)
def list_models(services: ServicesDep, _: ReadRole,
                page: Annotated[int, Query(ge=1, le=100000)] = 1,
                per_page: Annotated[int, Query(ge=1, le=100)] = 10,
                status: Annotated[str | None, Query(description=f"one of {', '.join(MODEL_STATUSES)}")] = None):
    """Models, newest first. ``metrics`` (on two evaluation days of the model's group, the same days for
    the model and each baseline; ``cost`` = the model's mean per-step cost):
    ``accuracy = min(1, causal-oracle cost / cost)`` (1.0 = as good as the best causal plan),
    ``latency`` the mean request latency in seconds, ``vs_best_static = cost / best-static cost`` and
    ``vs_hpa_tuned = cost / hpa-tuned cost`` (below 1 beats that baseline)."""
    models, total = services.models.list(status, page, per_page)
    return ModelList(models=models, total=total, page=page, per_page=per_page)


@router.get("/{model_id}", response_model=ModelOut)
def get_model(model_id: str, services: ServicesDep, _: ReadRole):
    return ModelOut.model_validate(services.models.get(model_id))


@router.post("/{model_id}/archive", response_model=ModelOut)
def archive_model(model_id: str, services: ServicesDep, _: AdminRole):
    """``trained`` -> ``archived`` (409 while deployed)."""
    return ModelOut.model_validate(services.models.archive(model_id))


@router.delete("/{model_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_model(model_id: str, services: ServicesDep, _: AdminRole):
    """Delete the model record and its serving samples (409 while deployed)."""
    services.models.delete(model_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{model_id}/deploy", status_code=status.HTTP_202_ACCEPTED, response_model=DeployResponse)
def deploy_model(model_id: str, body: DeployRequest, services: ServicesDep, _: AdminRole):
    """Create or update the Serve application ``policy-<model_id>``; the model becomes ``deployed``
    once its replicas are healthy. 409 when archived or when the cluster cannot fit the replicas."""
    return services.models.deploy(model_id, body.model_dump())


@router.post("/{model_id}/undeploy", response_model=ModelOut, status_code=status.HTTP_202_ACCEPTED)
def undeploy_model(model_id: str, services: ServicesDep, _: AdminRole):
    """202 at once: the model is ``trained`` again (no more predicts) with ``deployment.state``
    ``stopping``; the served application is deleted in the background, then the state is ``stopped``
    (409 while it is stopping, or when it is not deployed)."""
    return ModelOut.model_validate(services.models.undeploy(model_id))


@router.post("/{model_id}/predict", response_model=PredictResponse)
def predict(model_id: str, body: PredictRequest, services: ServicesDep, _: ReadRole):
    """Replicas per node for one observation, from the served policy (409 when not serving)."""
    return services.models.predict(model_id, [float(x) for x in body.observation])


@router.get("/{model_id}/metrics", response_model=ModelMetricsOut)
def model_metrics(model_id: str, services: ServicesDep, _: ReadRole,
                  start_time: Annotated[str | None, Query(description="ISO 8601; default end_time - 1 h")] = None,
                  end_time: Annotated[str | None, Query(description="ISO 8601; default now")] = None,
                  interval: Annotated[str | None, Query(description="1m, 5m or 1h; default 1m")] = None):
    """Serving metrics per interval, from the samples the replicas record."""
    return services.metrics.model(model_id, start_time, end_time, interval)


@router.get("/{model_id}/replay", response_model=ReplayOut)
def replay_model(model_id: str, services: ServicesDep, _: ReadRole,
                 group_id: Annotated[str | None, Query(description="workload group; default the model's")] = None,
                 seed: Annotated[int, Query(description="the day's seed (users and noise)")] = 0,
                 baselines: Annotated[str | None, Query(description="comma-separated: hpa, hpa-tuned, best-static, "
                                                                     "static-trained, causal-oracle, oracle-plan, "
                                                                     "random, static-<k>; default "
                                                                     "hpa,best-static,causal-oracle")] = None):
    """One simulated day from midnight, the model and each baseline on the very same workload: per
    interval the replicas and load per node, cost and latency; totals per run. 400 for an unknown
    group or baseline or a group of another node shape (before any work)."""
    return services.replay.replay(model_id, group_id, seed, baselines)

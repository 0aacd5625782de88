"""/api/v1/training/{task_id}/reconcile: a trained model stepped on new traffic; and its results."""
from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from lwmecps.platform.services.errors import BadRequest

from ..deps import AdminRole, ReadRole, ServicesDep
from ..schemas_models import ReconcileList, ReconcileResult, reconcile_out

router = APIRouter(prefix="/training", tags=["reconciliation"])
MAX_FORM_BYTES = 4096


async def _body_params(request: Request) -> dict[str, Any]:
    """``sample_size`` / ``group_id`` sent as a form or JSON body (the spec's cURL example uses ``-d``)."""
    raw = await request.body()
    if not raw:
        return {}
    if len(raw) > MAX_FORM_BYTES:
        raise BadRequest(f"the request body exceeds {MAX_FORM_BYTES} bytes")
    if "json" in request.headers.get("content-type", ""):
        try:
            data = json.loads(raw)
        except ValueError:
            raise BadRequest("the body is not valid JSON") from None
        if not isinstance(data, dict):
            raise BadRequest("the JSON body must be an object with sample_size and group_id")
        return data
    form = parse_qs(raw.decode("utf-8", "replace"), keep_blank_values=True)
    return {k: v[-1] for k, v in form.items()}


@router.post("/{task_id}/reconcile", response_model=ReconcileResult)
async def reconcile(request: Request, task_id: str, services: ServicesDep, _: AdminRole,
                    sample_size: Annotated[str | None, Query(description="decision steps to run (required; "
                                                             "also accepted in a form or JSON body)")] = None,
                    group_id: Annotated[str | None, Query(max_length=100, description="workload group; default: "
                                                          "the task's")] = None):
    """Run the task's model on ``group_id``'s traffic for ``sample_size`` steps (a Ray task); stored.

    400: ``sample_size`` missing, not an integer, <= 0 or above LWMECPS_MAX_RECONCILE_STEPS, or an
    unknown group; 404: unknown task or no trained model; 500: the run itself failed.
    """
    body = await _body_params(request)
    size = sample_size if sample_size is not None else body.get("sample_size")
    group = group_id if group_id is not None else body.get("group_id")
    if group is not None and (not isinstance(group, str) or not 0 < len(group) <= 100):
        raise BadRequest(f"group_id={group!r} must be a workload group name")
    doc = await run_in_threadpool(services.reconcile.run, task_id, size, group or None)
    return reconcile_out(doc)


@router.get("/{task_id}/reconciliations", response_model=ReconcileList)
def list_reconciliations(task_id: str, services: ServicesDep, _: ReadRole,
                         page: Annotated[int, Query(ge=1, le=100000)] = 1,
                         per_page: Annotated[int, Query(ge=1, le=100)] = 10):
    """Every stored reconciliation of the task, newest first."""
    docs, total = services.reconcile.list(task_id, page, per_page)
    return {"reconciliations": [reconcile_out(d) for d in docs], "total": total, "page": page, "per_page": per_page}

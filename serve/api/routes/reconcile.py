"""/api/v1/training/{task_id}/reconcile: a trained model stepped on new traffic; and its results."""
from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from lwmecps.platform.services.errors import BadRequest

from ..deps import AdminRole, ReadRole, ServicesDep
from ..schemas_reconcile import ReconcileList, ReconcileResult

router = APIRouter(prefix="/training", tags=["reconciliation"])
MAX_FORM_BYTES = 4096


async def _body_params(request: Request) -> dict[str, Any]:
    """``sample_size`` / ``group_id`` sent as a form or JSON body (the spec's cURL example uses ``-d``)."""
    raw = await request.body()
    if not raw:
        return {}
    if len(raw) > MAX_FORM_BYTES:
        raise BadRequest(f"the request body exceeds {MAX_FORM_BYTES} bytes")
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind and kind != "application/x-www-form-urlencoded" and not kind.endswith("json"):
        raise BadRequest(f"a {kind} body: send sample_size and group_id as a form "
                         "(application/x-www-form-urlencoded), a JSON object or query parameters")
    if kind.endswith("json"):
        try:
            data = json.loads(raw)
        except ValueError:
            raise BadRequest("the body is not valid JSON") from None
        if not isinstance(data, dict):
            raise BadRequest("the JSON body must be an object with sample_size and group_id")
        return data
    form = parse_qs(raw.decode("utf-8", "replace"), keep_blank_values=True)
    return {k: v[-1] for k, v in form.items()}


_FIELDS = {"type": "object", "required": ["sample_size"], "properties": {
    "sample_size": {"type": "integer", "minimum": 1, "description": "decision steps to run"},
    "group_id": {"type": "string", "maxLength": 100, "description": "workload group; default: the task's"}}}
# What the route reads by hand (so that a bad value is the spec's 400, not FastAPI's 422), declared:
# sample_size a required integer, in the query or in a form or JSON body.
_OPENAPI = {"parameters": [{"name": "sample_size", "in": "query", "required": False, "schema": {
    "type": "integer", "minimum": 1}, "description": "decision steps to run: required, here or in the body"}],
    "requestBody": {"required": False, "content": {
    "application/x-www-form-urlencoded": {"schema": _FIELDS}, "application/json": {"schema": _FIELDS}}}}


@router.post("/{task_id}/reconcile", response_model=ReconcileResult, openapi_extra=_OPENAPI)
async def reconcile(request: Request, task_id: str, services: ServicesDep, _: AdminRole,
                    sample_size: Annotated[str | None, Query(include_in_schema=False)] = None,
                    group_id: Annotated[str | None, Query(max_length=100, description="workload group; default: "
                                                          "the task's")] = None):
    """Run the task's model on ``group_id``'s traffic for ``sample_size`` steps (a Ray task); stored.

    400: ``sample_size`` missing, not an integer, <= 0 or above LWMECPS_MAX_RECONCILE_STEPS, an
    unknown group, or a body that is neither a form nor JSON; 404: unknown task or no trained model; 500: the run itself failed.
    """
    body = await _body_params(request)
    size = sample_size if sample_size is not None else body.get("sample_size")
    group = group_id if group_id is not None else body.get("group_id")
    if group is not None and (not isinstance(group, str) or not 0 < len(group) <= 100):
        raise BadRequest(f"group_id={group!r} must be a workload group name")
    doc = await run_in_threadpool(services.reconcile.run, task_id, size, group or None)
    return ReconcileResult.model_validate(doc)


@router.get("/{task_id}/reconciliations", response_model=ReconcileList)
def list_reconciliations(task_id: str, services: ServicesDep, _: ReadRole,
                         page: Annotated[int, Query(ge=1, le=100000)] = 1,
                         per_page: Annotated[int, Query(ge=1, le=100)] = 10):
    """Every stored reconciliation of the task, newest first."""
    docs, total = services.reconcile.list(task_id, page, per_page)
    return ReconcileList(reconciliations=docs, total=total, page=page, per_page=per_page)

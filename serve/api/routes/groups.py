"""/api/v1/groups: the shipped workload groups and users' own (a CSV trace or the group schema)."""
from __future__ import annotations

import json

from fastapi import APIRouter, Request, Response, status
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from lwmecps.envs.traces import MAX_BYTES
from lwmecps.platform.services.errors import BadRequest, Invalid, TooLarge

from ..deps import AdminRole, ReadRole, ServicesDep
from ..schemas_groups import GroupList, GroupOut

router = APIRouter(prefix="/groups", tags=["groups"])

_UPLOAD = {
    "required": True,
    "content": {
        "application/json": {"schema": {
            "type": "object", "required": ["name", "nodes"],
            "description": "the group schema of configs/groups/*.yaml: name, nodes [{name, cpu, memory_mib}], "
                           "optional latency_ms [[ms, ...], ...] (n x n), and either aggregate + stations (+ "
                           "slots, slot_s) or trace {slot_s, users: [[users per station], ...] one row per slot}"}},
        "multipart/form-data": {"schema": {
            "type": "object", "required": ["name", "trace"],
            "properties": {
                "trace": {"type": "string", "format": "binary",
                          "description": f"CSV: timestamp or slot, then one column per station (<= {MAX_BYTES // 2**20} MiB)"},
                "name": {"type": "string"},
                "slot_s": {"type": "string", "description": "seconds per row (with a slot column; default 300)"},
                "nodes": {"type": "string", "description": "JSON [{name, cpu, memory_mib}], one per station"},
                "latency_ms": {"type": "string", "description": "JSON n x n matrix, ms from station j to node k"},
            }}},
    },
}


async def _read_upload(request: Request) -> dict:
    """The form's fields; the trace file read whole (the body limit already capped its size)."""
    try:
        form = await request.form(max_files=1, max_fields=8)
    except Exception as exc:  # malformed multipart: the parser's own message
        raise BadRequest(f"the multipart body cannot be read: {exc}") from None
    trace = form.get("trace")
    if not isinstance(trace, UploadFile):
        raise Invalid("trace: a CSV file field named 'trace' is required")
    data = await trace.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise TooLarge(f"the trace is over {MAX_BYTES // 2**20} MiB (the limit)")
    text = {k: form.get(k) for k in ("name", "slot_s", "nodes", "latency_ms")}
    if any(v is not None and not isinstance(v, str) for v in text.values()):
        raise Invalid("name, slot_s, nodes and latency_ms must be text fields")
    return {"data": data, **text}


@router.post("", status_code=status.HTTP_201_CREATED, response_model=GroupOut, openapi_extra={"requestBody": _UPLOAD})
async def create_group(request: Request, services: ServicesDep, _: AdminRole):
    """Store a workload group of your own: the group schema as JSON, or a CSV trace as
    ``multipart/form-data`` (field ``trace``) with ``name`` and optional ``slot_s``, ``nodes`` and
    ``latency_ms`` (JSON). 409 if the name exists (or is a shipped group's), 413 over 8 MiB, 422
    naming the line, the column or the field that is wrong; nothing is stored then."""
    kind = request.headers.get("content-type", "")
    if kind.startswith("multipart/form-data"):
        upload = await _read_upload(request)
        doc = await run_in_threadpool(services.groups.create_csv, upload["name"], upload["data"], upload["slot_s"],
                                      upload["nodes"], upload["latency_ms"])
    elif "json" in kind:
        try:
            body = json.loads(await request.body())
        except ValueError:
            raise BadRequest("the body is not valid JSON") from None
        doc = await run_in_threadpool(services.groups.create, body)
    else:
        raise BadRequest(f"send application/json (the group schema) or multipart/form-data (a CSV trace), "
                         f"not {kind or 'no content type'!r}")
    return GroupOut.model_validate(doc)


@router.get("", response_model=GroupList)
def list_groups(services: ServicesDep, _: ReadRole):
    """Every group a task can train, reconcile or sweep on: the shipped ones, then users' own."""
    return GroupList(groups=services.groups.list())


@router.get("/{group_id}", response_model=GroupOut)
def get_group(group_id: str, services: ServicesDep, _: ReadRole):
    """One group's metadata (not its trace)."""
    return GroupOut.model_validate(services.groups.get(group_id))


@router.delete("/{group_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
def delete_group(group_id: str, services: ServicesDep, _: AdminRole):
    """Delete a user group: 403 for a shipped one, 409 while an active task, a model (not archived)
    or a running sweep uses it."""
    services.groups.delete(group_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)

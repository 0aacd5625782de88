"""Workload groups through the API: the shipped ones (``configs/groups/``) and users' own, stored in
MongoDB (``store.groups``), created from the group schema as JSON or from a CSV trace.

``resolve_group(store, name)`` is the one way a process with a store turns a ``group_id`` into a
loaded ``WorkloadGroup`` (shipped first, then stored); the training actor, reconciliation, sweeps
and predictions all go through it, so a user group works wherever a shipped one does.

Limits: a CSV trace of at most ``traces.MAX_BYTES`` (8 MiB, 413 above), at most 64 stations, 1 to
7 whole days of slots of 1..3600 s; names of 1..64 letters, digits, ``.``, ``_`` or ``-``.
"""
from __future__ import annotations

import json
import re
import threading
from collections import OrderedDict
from typing import Any

from lwmecps.envs import GroupFileError, UnknownGroupError, WorkloadGroup, known_groups, load_group
from lwmecps.envs.groups import GroupSpec, group_fingerprint, group_from_spec
from lwmecps.envs.traces import TraceTooLarge, csv_group

from ..store import GroupExists, Store
from .errors import Conflict, Forbidden, Invalid, TooLarge

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")

_lock = threading.Lock()
_loaded: OrderedDict[tuple[str, str], WorkloadGroup] = OrderedDict()  # (name, upload) -> group


def resolve_group(store: Store, name: str) -> WorkloadGroup:
    """The group ``name``: shipped, else stored by a user; ``UnknownGroupError`` (404) otherwise.
    Stored groups are kept loaded per (name, upload), so a deleted and re-uploaded name is reloaded."""
    if not isinstance(name, str):
        raise UnknownGroupError(f"unknown workload group {name!r}")
    if name in known_groups():
        return load_group(name)
    doc = store.groups.get(name)
    if doc is None:
        raise UnknownGroupError(f"unknown workload group {name!r}; known groups: {', '.join(known_groups())} "
                                f"(and the ones uploaded with POST /api/v1/groups)")
    key = (name, doc["upload"])
    with _lock:
        if key in _loaded:
            _loaded.move_to_end(key)
            return _loaded[key]
    group = group_from_spec(store.groups.spec(doc))
    with _lock:
        _loaded[key] = group
        while len(_loaded) > 16:
            _loaded.popitem(last=False)
    return group


def summary(group: WorkloadGroup, shipped: bool, created_at=None) -> dict[str, Any]:
    """What the API shows of a group (never the trace itself)."""
    spec = group.spec
    slot_s = spec.trace.slot_s if spec.trace is not None else spec.slot_s
    return {"group_id": group.name, "description": spec.description, "role": spec.role,
            "source": "trace" if spec.trace is not None else "synthetic", "shipped": shipped,
            "nodes": group.n_nodes, "node_names": [nd.name for nd in spec.nodes],
            "node_cpus": [nd.cpu for nd in spec.nodes], "node_memory_mib": [nd.memory_mib for nd in spec.nodes],
            "slots": len(spec.trace.users) if spec.trace is not None else spec.slots, "slot_s": slot_s,
            "days": group.days,
            "latency_matrix": spec.latency_ms is not None, "created_at": created_at}


def _json_field(text: str | None, field: str) -> Any:
    if text is None or text == "":
        return None
    try:
        return json.loads(text)
    except ValueError:
        raise Invalid(f"{field}: not valid JSON ({text[:60]!r})") from None


class GroupService:
    def __init__(self, store: Store):
        self.store = store

    # -- reading ---------------------------------------------------------------------------------
    def list(self) -> list[dict[str, Any]]:
        shipped = [summary(load_group(name), True) for name in known_groups()]
        return shipped + self.store.groups.list()

    def get(self, group_id: str) -> dict[str, Any]:
        if group_id in known_groups():
            return summary(load_group(group_id), True)
        doc = self.store.groups.get(group_id)
        if doc is None:
            resolve_group(self.store, group_id)  # raises the 404 with the known names
        return doc

    # -- writing ---------------------------------------------------------------------------------
    def create(self, body: Any) -> dict[str, Any]:
        """From the group schema as JSON (``GroupSpec``: ``aggregate`` + ``stations``, or ``trace``)."""
        if not isinstance(body, dict):
            raise Invalid("the body must be a JSON object: the group schema of configs/groups/*.yaml")
        self._check_name(body.get("name"))
        try:
            group = group_from_spec({**body, "role": body.get("role", "other")})
        except GroupFileError as exc:
            raise Invalid(f"group {body.get('name')}: {exc}") from None
        except ValueError as exc:  # the generator refused the values (e.g. hourly curve too short)
            raise Invalid(f"group {body.get('name')}: {exc}") from None
        return self._store(group)

    def create_csv(self, name: str | None, data: bytes, slot_s: str | None = None, nodes: str | None = None,
                   latency_ms: str | None = None) -> dict[str, Any]:
        """From a CSV trace (``lwmecps.envs.traces``) and the topology as JSON text fields."""
        self._check_name(name)
        node_list, matrix = _json_field(nodes, "nodes"), _json_field(latency_ms, "latency_ms")
        try:
            step = float(slot_s) if slot_s not in (None, "") else None
        except ValueError:
            raise Invalid(f"slot_s: {slot_s!r} is not a number of seconds") from None
        try:
            group = csv_group(name, data, step, node_list, matrix)
        except TraceTooLarge as exc:
            raise TooLarge(str(exc)) from None
        except GroupFileError as exc:
            raise Invalid(f"trace: {exc}") from None
        return self._store(group)

    def _check_name(self, name: Any) -> None:
        if not isinstance(name, str) or not NAME.match(name):
            raise Invalid(f"name: {name!r} must be 1..64 letters, digits, '.', '_' or '-' (starting with a "
                          f"letter or digit)")
        if name in known_groups():
            raise Conflict(f"group {name!r} is a shipped group; choose another name")

    def _store(self, group: WorkloadGroup) -> dict[str, Any]:
        from lwmecps.envs import EnvParams
        from lwmecps.envs.cluster import node_capacities

        try:  # every node must host one replica of the service's pod (EnvParams.pod_cpu / pod_memory_mib)
            node_capacities(group, EnvParams.load())
        except ValueError as exc:
            raise Invalid(f"nodes: {exc}") from None
        spec: GroupSpec = group.spec
        meta = summary(group, shipped=False)
        meta.pop("group_id"), meta.pop("shipped"), meta.pop("created_at")
        try:
            doc = self.store.groups.create(spec.model_dump(mode="json"),
                                           {"_id": group.name, **meta, "fingerprint": group_fingerprint(group)})
        except GroupExists:
            raise Conflict(f"group {group.name!r} exists; delete it first or choose another name") from None
        return doc

    def delete(self, group_id: str) -> None:
        if group_id in known_groups():
            raise Forbidden(f"group {group_id!r} is shipped with the platform and cannot be deleted")
        if self.store.groups.get(group_id) is None:
            resolve_group(self.store, group_id)  # 404
        users = self._users(group_id)
        if users:
            raise Conflict(f"group {group_id!r} is in use by {', '.join(users)}; it is kept")
        self.store.groups.delete(group_id)

    def _users(self, group_id: str) -> list[str]:
        """What still needs the group: active tasks, models that are not archived, running sweeps."""
        counts = {"training task": self.store.tasks.count_using_group(group_id),
                  "model": self.store.models.count_using_group(group_id),
                  "sweep": self.store.sweeps.count_using_group(group_id)}
        return [f"{n} {what}{'s' if n > 1 else ''}" for what, n in counts.items() if n]

"""Autoscalers through the API: validate, start the detached actor, stop it, read decisions and summaries."""
from __future__ import annotations

import logging
from typing import Any

from lwmecps.envs import ShapeMismatch, UnknownGroupError, check_same_shape
from lwmecps.envs.kubernetes import KubernetesBackendError

from ..autoscaling.guardrails import Guardrails
from ..ray_here import require
from ..autoscaling.summary import summary
from ..autoscaling.loop import MODES
from ..serving.series import parse_time
from ..settings import Settings
from ..store import AUTOSCALER_STATUSES, Store, as_utc, parse_id
from .errors import BadRequest, Conflict, Invalid, NotFound, Unavailable
from .groups import resolve_group
from .models import ModelService

log = logging.getLogger("lwmecps.autoscalers")
TARGET_KINDS = ("simulated", "kubernetes")
MIN_PERIOD_S = 0.5  # wall seconds between two decisions, at least
MAX_DECISIONS = 10_000  # per request


def target_key(target: dict[str, Any]) -> str:
    """What an ``active`` autoscaler claims: one simulated twin is its group and seed; a live cluster
    its API server and namespace."""
    if target["kind"] == "kubernetes":
        return f"kubernetes:{target.get('host') or 'kube-config'}:{target['namespace']}"
    return f"simulated:{target['group_id']}:{target['seed']}"


class AutoscalerService:
    def __init__(self, store: Store, settings: Settings, models: ModelService):
        self.store, self.settings, self.models = store, settings, models

    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        """Every check before the actor starts: 404 model, 422 values, 400 group, 409 not deployed or
        a second ``active`` autoscaler on the same target, 503 without Ray."""
        model = self.models.get(body["model_id"])
        if body["mode"] not in MODES:
            raise Invalid(f"mode {body['mode']!r} is not one of {', '.join(MODES)}")
        target = dict(body["target"])
        if target.get("kind") not in TARGET_KINDS:
            raise Invalid(f"target kind {target.get('kind')!r} is not one of {', '.join(TARGET_KINDS)}")
        defaults = {"group_id": model["group_id"], "seed": 0, "speed": 1.0}
        if target["kind"] == "kubernetes":  # a real cluster runs in real time, from its own state
            defaults = {"group_id": model["group_id"], "namespace": self.settings.kube_namespace,
                        "stats_url": self.settings.stats_url, "speed": 1.0}
            if target.get("speed") not in (None, 1, 1.0) or target.get("seed") not in (None, 0):
                raise Invalid("speed and seed are for the simulated target; a kubernetes target runs in real time")
            target.pop("seed", None)
        for key, default in defaults.items():
            if target.get(key) is None:
                target[key] = default
        try:
            trained_on = resolve_group(self.store, model["group_id"])
            check_same_shape(trained_on, resolve_group(self.store, target["group_id"]))
        except (UnknownGroupError, ShapeMismatch) as exc:
            raise BadRequest(str(exc)) from None
        period = body["interval_s"] / target["speed"]
        if period < MIN_PERIOD_S:
            raise Invalid(f"interval_s / speed = {period:g} s between decisions; at least {MIN_PERIOD_S:g} s")
        try:
            guardrails = Guardrails.from_body(body.get("guardrails") or {}, len(trained_on.spec.nodes))
        except (TypeError, ValueError) as exc:
            raise Invalid(f"guardrails: {exc}") from None
        if model["status"] != "deployed":
            raise Conflict(f"model {body['model_id']} is not deployed (status {model['status']}); deploy it first")
        key = target_key(target)
        if body["mode"] == "active" and (other := self.store.autoscalers.active_on(key)) is not None:
            raise Conflict(f"autoscaler {other['_id']} is already active on {key}; stop it or use mode 'shadow'")
        require("autoscalers")
        from ..autoscaling.actor import start_actor

        doc = self.store.autoscalers.create({
            "model_id": body["model_id"], "mode": body["mode"], "interval_s": float(body["interval_s"]),
            "target": target, "target_key": key, "guardrails": guardrails.as_dict(), "name": body.get("name")})
        try:
            start_actor(str(doc["_id"]), self.settings)
        except KubernetesBackendError as exc:  # the cluster said no (or nothing): say what it said
            self.store.autoscalers.delete(doc["_id"])  # nothing ran: no record of it
            raise Unavailable(f"the cluster of the kubernetes target: {str(exc).splitlines()[-1][:300]}") from None
        except Exception as exc:
            log.exception("autoscaler %s did not start", doc["_id"])
            self.store.autoscalers.delete(doc["_id"])
            raise Unavailable(f"the autoscaler's actor did not start ({type(exc).__name__}); try again") from None
        return self.get(str(doc["_id"]))

    def get(self, autoscaler_id: str) -> dict[str, Any]:
        doc = self.store.autoscalers.get(parse_id(autoscaler_id, "autoscaler_id"))
        if doc is None:
            raise NotFound(f"autoscaler {autoscaler_id} not found")
        return doc

    def list(self, status: str | None, page: int, per_page: int) -> tuple[list[dict], int]:
        if status is not None and status not in AUTOSCALER_STATUSES:
            raise Invalid(f"unknown status {status!r}; statuses: {', '.join(AUTOSCALER_STATUSES)}")
        return self.store.autoscalers.list(status, (page - 1) * per_page, per_page)

    def stop(self, autoscaler_id: str) -> dict[str, Any]:
        doc = self.get(autoscaler_id)
        if doc["status"] != "running":
            raise Conflict(f"autoscaler {autoscaler_id} is {doc['status']}, not running")
        from ..autoscaling.actor import stop_actor

        stop_actor(autoscaler_id)
        return self.store.autoscalers.finish(doc["_id"], "stopped") or self.get(autoscaler_id)

    def decisions(self, autoscaler_id: str, start_time: str | None, end_time: str | None,
                  page: int, per_page: int) -> dict[str, Any]:
        """A page of the decisions in ``[start_time, end_time]`` (ISO 8601; default: from the
        autoscaler's start to now), oldest first."""
        from datetime import datetime, timezone

        doc = self.get(autoscaler_id)
        start = parse_time("start_time", start_time) if start_time else as_utc(doc["created_at"])
        end = parse_time("end_time", end_time) if end_time else datetime.now(timezone.utc)
        if start_time and end_time and start > end:
            raise BadRequest(f"start_time {start_time} is after end_time {end_time}")
        if not 1 <= per_page <= MAX_DECISIONS or page < 1:
            raise BadRequest(f"page={page}, per_page={per_page}: page >= 1 and per_page in 1..{MAX_DECISIONS}")
        rows, total = self.store.autoscalers.decisions_between(autoscaler_id, start, end, (page - 1) * per_page,
                                                               per_page)
        for row in rows:
            row["time"] = as_utc(row["time"])
        return {"autoscaler_id": autoscaler_id, "decisions": rows, "total": total, "page": page,
                "per_page": per_page, "summary": summary(doc)}

"""What a policy's replicas may become before they reach the cluster, and when HPA takes over.

Per node j, with the node's capacity ``cap_j`` (its most replicas) and its current count ``r_j``:

    applied_j = clip(proposed_j, lo_j, hi_j),   lo_j = max(min_j, r_j - d),  hi_j = min(max_j, cap_j, r_j + d)

with ``min_replicas``/``max_replicas`` one count for every node or one per node (``min_j``, ``max_j``)

with ``d = max_change_per_step`` (no limit when unset). The SLO: an interval whose success rate is
below ``slo_success_rate`` or whose p95 latency is above ``slo_p95_ms`` is a breach; while the last
interval breached, the HPA rule's replicas are applied instead of the policy's (``fallback``), so a
policy that misjudges the load cannot keep the cluster failing. The fallback stays within the per-node
``min``/``max`` (``limit``: the operator's hard bounds) but not ``max_change_per_step``: on a breach
HPA may move as fast as its rule says.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Guardrails:
    min_replicas: int | tuple[int, ...] = 0
    max_replicas: int | tuple[int, ...] | None = None
    max_change_per_step: int | None = None
    slo_success_rate: float | None = None  # fall back to HPA while the success rate is below this
    slo_p95_ms: float | None = None        # ... or the p95 latency above this (ms)

    @classmethod
    def from_body(cls, body: dict[str, Any], n_nodes: int) -> "Guardrails":
        """From the API's ``guardrails`` (``min_replicas``/``max_replicas`` an int or one per node,
        ``max_change_per_step``, ``slo: {success_rate, p95_latency_ms}``); ``ValueError`` naming the problem."""
        body = dict(body)
        slo = body.pop("slo", None) or {}
        for key in ("min_replicas", "max_replicas"):
            value = body.get(key)
            if isinstance(value, list):
                if len(value) != n_nodes:
                    raise ValueError(f"{key} has {len(value)} values; the cluster has {n_nodes} nodes")
                body[key] = tuple(value)
        return cls(**body, slo_success_rate=slo.get("success_rate"), slo_p95_ms=slo.get("p95_latency_ms"))

    def __post_init__(self):
        lo = np.atleast_1d(np.asarray(self.min_replicas))
        if (lo < 0).any():
            raise ValueError(f"min_replicas must be >= 0, got {self.min_replicas}")
        if self.max_replicas is not None:
            hi = np.atleast_1d(np.asarray(self.max_replicas))
            if (hi < 1).any() or (hi < lo).any():
                raise ValueError(f"max_replicas ({self.max_replicas}) must be >= 1 and >= min_replicas "
                                 f"({self.min_replicas}) on every node")
        if self.max_change_per_step is not None and self.max_change_per_step < 1:
            raise ValueError(f"max_change_per_step must be >= 1, got {self.max_change_per_step}")
        if self.slo_success_rate is not None and not 0 < self.slo_success_rate <= 1:
            raise ValueError(f"slo_success_rate must be in (0, 1], got {self.slo_success_rate}")
        if self.slo_p95_ms is not None and self.slo_p95_ms <= 0:
            raise ValueError(f"slo_p95_ms must be > 0, got {self.slo_p95_ms}")

    def as_dict(self) -> dict[str, Any]:
        """The API's shape (lists for per-node bounds, ``slo``), as stored and as ``from_body`` reads it."""
        out = asdict(self)
        for key in ("min_replicas", "max_replicas"):
            if isinstance(out[key], tuple):
                out[key] = list(out[key])
        out["slo"] = {"success_rate": out.pop("slo_success_rate"), "p95_latency_ms": out.pop("slo_p95_ms")}
        return out

    def _range(self, caps: np.ndarray, current: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Per node ``(lo, hi)``: ``min``/``max`` within the capacities and, given ``current``, within
        ``max_change_per_step`` of it; ``lo <= hi`` (a node smaller than min_replicas runs what it can hold)."""
        lo = np.broadcast_to(np.asarray(self.min_replicas, dtype=np.int64), caps.shape).copy()
        hi = caps.copy() if self.max_replicas is None else np.minimum(caps, np.asarray(self.max_replicas, np.int64))
        if current is not None and self.max_change_per_step is not None:
            lo = np.maximum(lo, current - self.max_change_per_step)
            hi = np.minimum(hi, current + self.max_change_per_step)
        return np.minimum(lo, hi), hi

    def limit(self, replicas, caps) -> np.ndarray:
        """``replicas`` within the per-node ``min``/``max`` and the capacities (no change limit): the fallback's bounds."""
        lo, hi = self._range(np.asarray(caps, dtype=np.int64))
        return np.clip(np.asarray(replicas, dtype=np.int64), lo, hi)

    def bound(self, proposed, current, caps) -> tuple[np.ndarray, bool]:
        """``(applied, changed)``: the module docstring's clip; ``changed`` when any node was clipped."""
        proposed, current, caps = (np.asarray(x, dtype=np.int64) for x in (proposed, current, caps))
        lo, hi = self._range(caps, current)
        applied = np.clip(proposed, lo, hi)
        return applied, bool((applied != proposed).any())

    def breached(self, outcome: dict[str, Any] | None) -> bool:
        """Whether an interval's outcome (``success_rate``, ``p95_latency_ms``) breaks the SLO."""
        if outcome is None:
            return False
        low = self.slo_success_rate is not None and outcome["success_rate"] < self.slo_success_rate
        slow = self.slo_p95_ms is not None and outcome["p95_latency_ms"] > self.slo_p95_ms
        return bool(low or slow)

"""One decision of an autoscaler, and the record it leaves.

Each interval: read the target's observation; ask the policy (``decide``: the deployed model's
predict) and the HPA rule for replicas; choose what to apply and why —

- ``fallback``: the last interval breached the SLO (``Guardrails.breached``): HPA's replicas within
  the per-node min/max (``Guardrails.limit``);
- ``guardrail``: the policy's replicas clipped by the guardrails (``Guardrails.bound``);
- ``policy``: the policy's replicas as they are;

that choice is the record's ``source`` and ``decision_replicas``. In ``shadow`` mode the cluster
keeps running HPA (``applied_replicas`` = HPA's, ``applied_by`` ``hpa``) and the record shows what
the policy *would* have applied. Then the target runs the interval and the record gets its outcome
(``cost``, ``latency_ms``, ``success_rate``; ``outcome`` with p95, replicas and load per node).
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Callable

import numpy as np

from .guardrails import Guardrails

MODES = ("shadow", "active")
SOURCES = ("policy", "guardrail", "fallback")


def observation_summary(obs: list[float], n: int) -> dict[str, list[float]]:
    """Per node: load (requests / full service rate), utilisation and latency (/ timeout) of the last interval."""
    from lwmecps.envs.edge_cluster import node_feature

    return {f: [round(float(x), 4) for x in node_feature(obs, n, f)] for f in ("load", "utilisation", "latency")}


class DecisionLoop:
    def __init__(self, target, decide: Callable[[list[float]], list[int]], guardrails: Guardrails, mode: str):
        if mode not in MODES:
            raise ValueError(f"mode {mode!r} is not one of {', '.join(MODES)}")
        self.target, self.decide, self.guardrails, self.mode = target, decide, guardrails, mode
        self.last_outcome: dict[str, Any] | None = None
        self.step_index = 0

    def step(self) -> dict[str, Any]:
        """One decision: the record (see the module docstring)."""
        obs = self.target.observation()
        current = self.target.current()
        hpa = self.target.hpa_recommendation()
        proposed = np.asarray(self.decide(obs), dtype=np.int64)
        bounded, clipped = self.guardrails.bound(proposed, current, self.target.caps)
        breach = self.guardrails.breached(self.last_outcome)
        if breach:
            chosen, reason = self.guardrails.limit(hpa, self.target.caps), "fallback"
        else:
            chosen, reason = bounded, "guardrail" if clipped else "policy"
        applied, by = (hpa, "hpa") if self.mode == "shadow" else (chosen, "hpa" if reason == "fallback" else "policy")
        result = self.target.apply(applied)
        self.last_outcome = out = result["cluster"]
        record = {
            "step": self.step_index, "time": datetime.now(timezone.utc),
            "policy_replicas": proposed.tolist(), "hpa_replicas": hpa.tolist(),
            "decision_replicas": chosen.tolist(), "source": reason,
            "applied_replicas": np.asarray(applied).tolist(), "applied_by": by,
            "cost": out["cost"], "latency_ms": out["latency_ms"], "success_rate": out["success_rate"],
            # this interval's own breach (the next decision falls back on it)
            "slo_breach": self.guardrails.breached(out),
            "current_replicas": current.tolist(), "observation": observation_summary(obs, len(current)),
            "outcome": out, "hpa_outcome": result.get("hpa"),
        }
        self.step_index += 1
        return record

"""One decision of an autoscaler, and the record it leaves.

Each interval: read the target's observation; ask the policy (``decide``: the deployed model's
predict) and the HPA rule for replicas; choose what to apply and why —

- ``fallback``: the last interval breached the SLO (``Guardrails.breached``): HPA's replicas;
- ``guardrail``: the policy's replicas clipped by the guardrails (``Guardrails.bound``);
- ``policy``: the policy's replicas as they are;

in ``shadow`` mode the cluster keeps running HPA (``applied`` = HPA's replicas, ``reason``
``shadow``) and the record shows what the policy *would* have applied. Then the target runs the
interval and the record gets its outcome (cost, latency, success rate, replicas, load).
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Callable

import numpy as np

from .guardrails import Guardrails

MODES = ("shadow", "active")
REASONS = ("policy", "guardrail", "fallback", "shadow")


def observation_summary(obs: list[float], n: int) -> dict[str, list[float]]:
    """Per node: load (requests / full service rate), utilisation and latency (/ timeout) of the last interval."""
    return {"load": [round(obs[6 * j + 1], 4) for j in range(n)],
            "utilisation": [round(obs[6 * j + 2], 4) for j in range(n)],
            "latency": [round(obs[6 * j + 3], 4) for j in range(n)]}


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
            chosen, reason = hpa, "fallback"
        else:
            chosen, reason = bounded, "guardrail" if clipped else "policy"
        applied, why = (hpa, "shadow") if self.mode == "shadow" else (chosen, reason)
        result = self.target.apply(applied)
        self.last_outcome = result["cluster"]
        record = {
            "step": self.step_index, "time": datetime.now(timezone.utc),
            "observation": observation_summary(obs, len(current)),
            "current": current.tolist(), "policy": proposed.tolist(), "hpa": hpa.tolist(),
            "decision": chosen.tolist(), "decision_reason": reason,
            "applied": np.asarray(applied).tolist(), "reason": why,
            # this interval's own breach (the next decision falls back on it)
            "slo_breach": self.guardrails.breached(result["cluster"]),
            "outcome": result["cluster"], "hpa_outcome": result.get("hpa"),
        }
        self.step_index += 1
        return record

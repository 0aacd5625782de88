"""An autoscaler's running summary, as the API shows it and W&B logs it."""
from __future__ import annotations

from typing import Any


def summary(doc: dict[str, Any]) -> dict[str, Any]:
    """``saving = 1 - cost_so_far / hpa_cost_so_far`` (the share of HPA's cost saved on the same
    workload; None before the first interval); the counts as stored."""
    hpa = doc.get("hpa_cost_so_far") or 0.0
    return {"decisions": doc.get("decisions", 0), "cost_so_far": round(doc.get("cost_so_far", 0.0), 4),
            "hpa_cost_so_far": round(hpa, 4), "saving": round(1 - doc["cost_so_far"] / hpa, 4) if hpa > 0 else None,
            "fallbacks": doc.get("fallbacks", 0), "slo_breaches": doc.get("slo_breaches", 0),
            "guardrail_clips": doc.get("guardrail_clips", 0)}

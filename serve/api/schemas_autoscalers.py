"""Bodies of the /api/v1/autoscalers routes."""
from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, StrictStr

from lwmecps.platform.autoscaling.summary import summary
from lwmecps.platform.store.autoscalers import AutoscalerStatus

from .schemas_base import FromDoc, Page, UTCDateTime


class Target(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["simulated", "kubernetes"] = Field("simulated", description="'simulated': a digital twin of the "
                                                     "cluster on a workload group; 'kubernetes': the live cluster "
                                                     "(deployments <prefix><node> in namespace)")
    group_id: StrictStr | None = Field(None, min_length=1, max_length=100, description="default: the model's group "
                                       "(kubernetes: its node names are the cluster's)")
    seed: StrictInt | None = Field(None, ge=0, le=2**31 - 1, description="simulated: the twin's first day (day d uses "
                                   "seed + d), default 0")
    speed: StrictFloat | StrictInt | None = Field(None, gt=0, le=3600, description="simulated: simulated seconds per "
                                                  "wall second (60: one 5-minute interval every 5 s), default 1")
    host: StrictStr | None = Field(None, max_length=500, description="kubernetes: the API server URL (default: the "
                                   "platform's in-cluster or kube config, which also gives the credentials)")
    namespace: StrictStr | None = Field(None, max_length=63, description="kubernetes: default LWMECPS_KUBE_NAMESPACE "
                                        "(edge)")
    deployment_prefix: StrictStr | None = Field(None, max_length=63, description="kubernetes: default 'server-'")
    stats_url: StrictStr | None = Field(None, max_length=500, description="kubernetes: the per-station stats "
                                        "endpoint, default LWMECPS_STATS_URL")
    ca_cert: StrictStr | None = Field(None, max_length=500, description="kubernetes with host: CA bundle path")


Count = Annotated[int, Field(ge=0, le=1000, strict=True)]


class SLO(BaseModel):
    model_config = ConfigDict(extra="forbid")
    success_rate: StrictFloat | StrictInt | None = Field(None, gt=0, le=1, description="fall back to HPA after an "
                                                         "interval below this success rate")
    p95_latency_ms: StrictFloat | StrictInt | None = Field(None, gt=0, le=1e6, description="... or above this p95 "
                                                           "latency, ms")


class GuardrailsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    min_replicas: Count | list[Count] = Field(0, description="at least, per node: one count for every node or one "
                                              "per node")
    max_replicas: Count | list[Count] | None = Field(None, description="at most (and the node's capacity): one count "
                                                     "for every node or one per node")
    max_change_per_step: StrictInt | None = Field(None, ge=1, le=1000, description="per node and decision")
    slo: SLO = Field(default_factory=SLO)


class AutoscalerCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    model_id: StrictStr = Field(min_length=1, max_length=100, description="a deployed model")
    name: StrictStr | None = Field(None, max_length=200)
    target: Target = Field(default_factory=Target)
    mode: Literal["shadow", "active"] = Field("shadow", description="'shadow': decide beside HPA, which keeps "
                                              "running the cluster; 'active': apply the policy's decisions")
    interval_s: StrictFloat | StrictInt = Field(300.0, gt=0, le=86400, description="the target's seconds per "
                                                "decision (the simulator's interval is 300 s); at most a day")
    guardrails: GuardrailsIn = Field(default_factory=GuardrailsIn)


class Summary(BaseModel):
    decisions: int
    cost_so_far: float = Field(description="sum of the cluster's interval costs")
    hpa_cost_so_far: float = Field(description="HPA's on the same workload (simulated target: the HPA twin)")
    saving: float | None = Field(description="1 - cost_so_far / hpa_cost_so_far")
    fallbacks: int = Field(description="intervals run by HPA's replicas after an SLO breach")
    slo_breaches: int
    guardrail_clips: int


class AutoscalerOut(FromDoc):
    """An autoscaler as stored (``_id`` -> ``autoscaler_id``), its counts gathered under ``summary``."""

    id_field: ClassVar[str] = "autoscaler_id"
    autoscaler_id: str
    name: str | None = None
    model_id: str
    status: AutoscalerStatus
    mode: str
    interval_s: float
    target: dict[str, Any]
    guardrails: dict[str, Any]
    summary: Summary
    error: str | None = None
    created_at: UTCDateTime
    updated_at: UTCDateTime

    @classmethod
    def derive(cls, doc: dict[str, Any]) -> dict[str, Any]:
        return doc if "summary" in doc else {**doc, "summary": summary(doc)}


class AutoscalerList(Page):
    autoscalers: list[AutoscalerOut]


class DecisionsOut(Page):
    autoscaler_id: str
    decisions: list[dict[str, Any]] = Field(description="oldest first; per decision: step, time, policy_replicas, "
                                            "hpa_replicas, decision_replicas, source (policy | guardrail | fallback), "
                                            "applied_replicas, applied_by (policy | hpa: shadow mode and fallbacks), "
                                            "cost, latency_ms, success_rate, slo_breach, current_replicas, observation "
                                            "(per-node load, utilisation, latency), outcome, hpa_outcome (the HPA "
                                            "twin's interval; null on a live cluster)")
    summary: Summary

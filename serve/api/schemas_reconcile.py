"""Bodies of the reconciliation routes (field names as the spec)."""
from __future__ import annotations

from pydantic import BaseModel, Field

from .schemas_base import FromDoc, Page, UTCDateTime


class ReconcileMetrics(BaseModel):
    avg_reward: float = Field(description="mean reward per decision step (-cost)")
    avg_latency: float = Field(description="mean request latency, ms")
    avg_throughput: float = Field(description="mean req/s served within the timeout")
    success_rate: float = Field(description="share of requests served within the timeout (0-1)")
    latency_std: float = Field(description="standard deviation of the per-step latency, ms")
    reward_std: float = Field(description="standard deviation of the per-step reward")
    adaptation_score: float = Field(description="closed hpa->causal-oracle gap on the group / on the training group")


class ReconcileResult(FromDoc):
    """A stored reconciliation (its own ``_id`` is not shown: ``task_id`` is the training task's)."""

    task_id: str
    model_type: str
    wandb_run_id: str | None
    metrics: ReconcileMetrics
    sample_size: int
    timestamp: UTCDateTime
    model_weights_path: str = Field(description="the file holding the policy's weights (the RLModule's "
                                    "module_state.pkl); its folder loads in one line: "
                                    "RLModule.from_checkpoint(os.path.dirname(model_weights_path))")
    group_id: str
    model_id: str
    costs: dict[str, dict[str, float]] = Field(description="per group: mean cost per step of the policy, hpa, "
                                                           "causal-oracle")


class ReconcileList(Page):
    reconciliations: list[ReconcileResult]

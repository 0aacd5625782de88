"""Bodies of the /api/v1/sweeps routes."""
from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

from lwmecps.platform.store.sweeps import SweepStatus

from .schemas_base import FromDoc, UTCDateTime


class SweepCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    model_type: StrictStr = Field(min_length=1, max_length=50)
    param_space: dict[str, Any] = Field(min_length=1, description="API parameter -> {'loguniform': [lo, hi]}, "
                                        "{'uniform': [lo, hi]}, {'choice': [...]}, {'grid': [...]} or a value")
    group_id: StrictStr = Field("profile-a", min_length=1, max_length=100)
    num_samples: StrictInt = Field(4, ge=1, le=64, description="trials (x grid points)")
    iterations: StrictInt = Field(10, ge=1, le=1000, description="training iterations per trial")
    scheduler: Literal["asha"] | None = Field(None, description="'asha': stop weak trials early (Tune's ASHA on "
                                              "cost; rungs from iterations // 4, halving); none: all run in full")
    resources: dict[str, Any] = Field(default_factory=dict, description="each trial's num_env_runners, "
                                      "num_envs_per_env_runner, num_cpus_per_env_runner, num_learners "
                                      "(as a training task's parameters; auto = 0 runners)")
    max_concurrent_trials: StrictInt | None = Field(None, ge=1, le=64, description="cap on trials at once; "
                                                    "none: as many as the cluster's free CPUs hold")


class SweepOut(FromDoc):
    """A sweep as stored (``_id`` -> ``sweep_id``); its rows fill in as trials finish."""

    id_field: ClassVar[str] = "sweep_id"
    sweep_id: str
    status: SweepStatus
    model_type: str
    group_id: str
    param_space: dict[str, Any]
    num_samples: int
    iterations: int
    scheduler: str | None = None
    resources: dict[str, Any] = Field(default_factory=dict)
    max_concurrent_trials: int | None = None
    results: list[dict[str, Any]] = Field(description="one row per trial, best (lowest cost) first")
    best_params: dict[str, Any] | None = None
    best_cost: float | None = None
    model_id: str | None = Field(None, description="the best trial, registered as a model")
    error: str | None = None
    created_at: UTCDateTime
    updated_at: UTCDateTime

    @classmethod
    def derive(cls, doc: dict[str, Any]) -> dict[str, Any]:
        return {**doc, "resources": doc.get("resources") or {}}  # stored as null when none were given

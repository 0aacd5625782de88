"""Bodies of the models and metrics routes (field names as the spec)."""
from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, StrictStr

from lwmecps.platform.store.deployment_state import DeploymentState
from lwmecps.platform.store.models import ModelStatus

from .schemas_base import FromDoc, Page, UTCDateTime


class ModelMetricsSummary(BaseModel):
    """Quality on the model's group: two evaluation days, the same ones for the model and the baselines
    (``lwmecps.platform.training.quality``); ``cost`` is the model's mean per-step cost."""

    accuracy: float | None = Field(None, description="min(1, causal-oracle cost / cost): 1.0 = as good as the "
                                                     "best causal plan, 0.5 = twice its cost")
    latency: float | None = Field(None, description="mean request latency on its group, seconds")
    vs_best_static: float | None = Field(None, description="cost / best-static cost (the best fixed replica vector "
                                                           "on the same days, hindsight); below 1 beats it")
    vs_hpa_tuned: float | None = Field(None, description="cost / hpa-tuned cost (HPA target and window tuned on "
                                                         "the model's group, frozen); below 1 beats it")


class DeploymentInfo(BaseModel):
    name: str
    namespace: str
    replicas: int
    resources: dict[str, str] | None = None
    strategy: str | None = None
    state: DeploymentState | None = Field(None, description="deploying | running | failed | stopping | stopped "
                                           "(lwmecps.platform.store.deployment_state)")
    error: str | None = None


class ModelBase(FromDoc):
    """The base of every model response (``_id`` -> ``model_id``)."""

    id_field: ClassVar[str] = "model_id"
    model_id: str
    name: str
    type: str
    status: ModelStatus
    created_at: UTCDateTime


class ModelOut(ModelBase):
    """A model as listed and read: its quality on its group, where it came from, how it is served."""

    metrics: ModelMetricsSummary
    task_id: str | None = None
    group_id: str | None = None
    checkpoint: str | None = None
    deployment: DeploymentInfo | None = None

    @classmethod
    def derive(cls, doc: dict[str, Any]) -> dict[str, Any]:
        # a model registered before its evaluation finished has no metrics yet: every figure null; an empty
        # deployment record is no deployment
        return {**doc, "metrics": doc.get("metrics") or {}, "deployment": doc.get("deployment") or None}


class ModelList(Page):
    models: list[ModelOut]


class Resources(BaseModel):
    model_config = ConfigDict(extra="forbid")
    cpu: StrictStr = Field("1", description="cores per replica: '1', '0.5', '500m'")
    memory: StrictStr = Field("1Gi", description="memory per replica: '1Gi', '512Mi', '1G'")


class DeployRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    replicas: StrictInt = Field(1, description="replicas of the served policy (1..LWMECPS_MAX_POLICY_REPLICAS)")
    resources: Resources = Field(default_factory=Resources)
    strategy: Literal["rolling", "recreate"] = Field("rolling", description="rolling: no request lost; "
                                                     "recreate: delete then create (requests in between fail)")


class DeploymentRef(BaseModel):
    name: str = Field(description="the Serve application, policy-<model_id>")
    namespace: str = Field(description="the Serve application (the k8s namespace's place on one machine)")
    replicas: int


class DeployResponse(BaseModel):
    model_id: str
    status: Literal["deploying"]
    deployment: DeploymentRef
    created_at: UTCDateTime


class PredictRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    observation: list[StrictFloat | StrictInt] = Field(
        min_length=1, max_length=4096, description="the env's observation: 7 values per node, then sin/cos of the time")


class PredictResponse(BaseModel):
    model_id: str
    action: list[int]
    replicas_per_node: dict[str, int]


class Series(BaseModel):
    values: list[float]
    timestamps: list[str]


class ResourceSeries(BaseModel):
    cpu: Series
    memory: Series


class ServingMetrics(BaseModel):
    latency: Series = Field(description="mean seconds per predict, per interval")
    throughput: Series = Field(description="predicts per second, per interval")
    requests: Series = Field(description="predicts per interval")
    resource_usage: ResourceSeries = Field(description="mean share of a replica's requested CPU / memory")


class ModelMetricsOut(BaseModel):
    model_id: str
    metrics: ServingMetrics


class SystemSeries(BaseModel):
    cpu_usage: Series
    memory_usage: Series


class KubernetesUsage(BaseModel):
    cpu: float | None = Field(description="requested / allocatable CPU over the nodes; null when unknown")
    memory: float | None = Field(description="requested / allocatable memory over the nodes; null when unknown")


class KubernetesMetrics(BaseModel):
    """The spec's shape whatever the cluster: with none configured ``node_count`` and ``pod_count`` are 0
    and the usage shares null; when the API cannot be read, the counts are null too (``detail`` says why)."""

    status: str
    node_count: int | None
    pod_count: int | None
    resource_usage: KubernetesUsage
    detail: str | None = None


class TrainingStats(BaseModel):
    active_tasks: int
    completed_tasks: int
    average_training_time: str | None


class SystemMetrics(BaseModel):
    system: SystemSeries
    kubernetes: KubernetesMetrics
    training: TrainingStats


class ModelTypeOut(BaseModel):
    name: str
    description: str
    parameters: list[str]


class ModelTypeList(BaseModel):
    model_types: list[ModelTypeOut]

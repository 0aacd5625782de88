"""Request and response bodies of the /api/v1/training and /health routes (field names exactly as the spec)."""
from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

from lwmecps.platform.store.tasks import TaskStatus

from .schemas_base import FromDoc, Page, UTCDateTime


class TrainingCreate(BaseModel):
    """Body of ``POST /api/v1/training``."""

    model_config = ConfigDict(extra="forbid")
    name: StrictStr = Field(min_length=1, max_length=200, description="task name")
    model_type: StrictStr = Field(min_length=1, max_length=50, description="q_learning, dqn, ppo, sac or td3")
    parameters: dict[str, Any] = Field(description="learning_rate, discount_factor, batch_size, epochs (+ per type)")
    total_episodes: StrictInt = Field(gt=0, description="episodes (simulated days) to train for")
    wandb_project: StrictStr | None = Field(None, min_length=1, max_length=128)
    wandb_run_name: StrictStr | None = Field(None, min_length=1, max_length=128)
    group_id: StrictStr = Field("profile-a", min_length=1, max_length=100, description="workload group")
    seed: StrictInt = Field(0, ge=0, le=2**31 - 1, description="seed of the training run")


class TaskRef(FromDoc):
    """The base of every training-task response: which task, in which state (``_id`` -> ``task_id``)."""

    id_field: ClassVar[str] = "task_id"
    task_id: str
    status: TaskStatus


class TrainingCreated(TaskRef):
    created_at: UTCDateTime


class TrainingCancelled(TaskRef):
    updated_at: UTCDateTime


class EpisodeMetrics(BaseModel):
    episode_rewards: list[float]
    episode_steps: list[int]
    episode_latencies: list[float | None] = Field(description="mean request latency per episode, seconds")

    @classmethod
    def of(cls, episodes: list[dict[str, Any]]) -> EpisodeMetrics:
        """From the stored episode rows (``reward``, ``steps``, ``latency``), oldest first."""
        return cls(episode_rewards=[e["reward"] for e in episodes], episode_steps=[e["steps"] for e in episodes],
                   episode_latencies=[e.get("latency") for e in episodes])


class NodePlace(BaseModel):
    node_id: str
    ip: str
    name: str | None = Field(None, description="the actor's name in Ray's dashboard (EnvRunners: "
                                                "`EnvRunner(training:<task id>, runner i/n)`)")


class TaskNodes(BaseModel):
    actor: NodePlace | None = None
    env_runners: list[NodePlace] = Field(default_factory=list)
    learners: list[NodePlace] = Field(default_factory=list)


class TaskResources(BaseModel):
    """What the task holds on the Ray cluster (resolved when it starts; see the README's scale-out section)."""

    env_runners: int = Field(description="remote EnvRunner actors (0: sampling inside the task's actor)")
    envs_per_env_runner: int
    cpus_per_env_runner: float
    learners: int = Field(description="remote learner actors (0: the learner inside the task's actor)")
    cpus: float = Field(description="every CPU reserved: actor + runners x per-runner + learners x per-learner")
    nodes: TaskNodes | None = Field(None, description="the nodes the task's actors run on (node id, IP)")


class TrainingBase(TaskRef):
    name: str
    model_type: str
    group_id: str
    created_at: UTCDateTime
    updated_at: UTCDateTime


class TrainingSummary(TrainingBase):
    """One task in a listing."""

    progress: float = Field(ge=0, le=1)
    current_episode: int
    total_episodes: int
    model_id: str | None = None


class TrainingStatus(TrainingSummary):
    """One task in full: its parameters, per-episode metrics and where it runs."""

    parameters: dict[str, Any]
    metrics: EpisodeMetrics
    wandb_run_id: str | None = None
    error: str | None = None
    resources: TaskResources | None = Field(None, description="set when the task starts")
    env_steps: int | None = Field(None, description="env steps sampled so far")
    env_steps_per_s: float | None = Field(None, description="env steps per second of the last training "
                                                            "iteration, sampling and learning together")


class TrainingList(Page):
    tasks: list[TrainingSummary]


class Health(BaseModel):
    status: Literal["healthy", "degraded", "unhealthy"]
    components: dict[str, str]
    version: str
    uptime: str
    dashboard_url: str | None = Field(None, description="the Ray dashboard, as seen from this request's host")


class ErrorBody(BaseModel):
    detail: Any

"""The platform's one settings object: every knob an environment variable with a default.

Variables are prefixed ``LWMECPS_`` (``LWMECPS_API_PORT=9000``), except the conventional
``MONGODB_URI``, ``RAY_ADDRESS`` and ``WANDB_API_KEY``, which are read as they are.
"""
from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_trainings() -> int:
    # one training per 2 cores: each runs a learner and a vectorised EnvRunner
    return max(1, (os.cpu_count() or 2) // 2)


class Settings(BaseSettings):
    """Platform settings (``lwmecps up``, the API, the training actors)."""

    model_config = SettingsConfigDict(env_prefix="LWMECPS_", extra="ignore", populate_by_name=True)

    # where things live
    data_dir: Path = Field(Path("data"), description="embedded MongoDB data, admin token, run lock")
    artifacts_dir: Path = Field(Path("artifacts"), description="checkpoints and training logs")
    wandb_dir: Path = Field(Path("."), description="W&B writes its runs under <wandb_dir>/wandb")

    # API (Ray Serve HTTP proxy)
    api_host: str = Field("127.0.0.1", description="bind address of the Serve HTTP proxy")
    api_port: int = Field(8000, ge=1, le=65535)
    api_replicas: int = Field(1, ge=1, le=16, description="ingress deployment replicas")
    api_num_cpus: float = Field(0.1, gt=0, le=4, description="CPUs reserved per ingress replica")
    api_max_ongoing_requests: int = Field(64, ge=1, le=10000)
    serve_proxy_location: Literal["HeadOnly", "EveryNode"] = Field(
        "HeadOnly", description="where Serve runs HTTP proxies: the head only (one API address; several nodes on "
                                "one machine would fight over the port) or every node (behind a load balancer)")
    serve_haproxy: bool = Field(True, description="route HTTP through Serve's HAProxy (RAY_SERVE_ENABLE_HA_PROXY=1): "
                                "~2x the req/s of the default proxy here; it binds all interfaces, auth stays on")
    serve_drain_s: float = Field(
        3.0, ge=0, le=300,
        description="seconds a stopping HTTP ingress replica stays reachable behind HAProxy before it refuses new "
                    "connections (RAY_SERVE_DIRECT_INGRESS_MIN_DRAINING_PERIOD_S; Serve's default 30 made every "
                    "shutdown, undeploy and rolling update wait 30 s; HAProxy retries a refused connection on "
                    "another replica, so a few seconds suffice on one machine; raise it behind slower balancers)")

    # a live cluster (the kubernetes autoscaler target, /metrics, /health)
    kube_namespace: str = Field("edge", min_length=1, max_length=63,
                                description="namespace of the edge service's deployments server-bs{i}")
    stats_url: str = Field("http://127.0.0.1:8080", description="the testbed's per-station stats endpoint")
    kube_token_file: Path | None = Field(
        None, description="bearer token file for a kubernetes target given by `host` (e.g. a service account's "
                          "token); without `host` the in-cluster or kube config's own credentials are used")

    # storage
    mongodb_uri: SecretStr | None = Field(None, validation_alias=AliasChoices("MONGODB_URI", "LWMECPS_MONGODB_URI"))
    mongodb_db: str = Field("lwmecps", description="database name")
    embedded_mongo_port: int = Field(27018, ge=1, le=65535,
                                     description="port of the embedded nx-27017 server (when MONGODB_URI is unset)")

    # compute
    ray_address: str | None = Field(None, validation_alias=AliasChoices("RAY_ADDRESS", "LWMECPS_RAY_ADDRESS"))
    dashboard_port: int = Field(8265, ge=1, le=65535)
    max_concurrent_trainings: int = Field(default_factory=_default_trainings, ge=1, le=64)
    training_num_cpus: float = Field(1.0, gt=0, le=64, description="CPUs reserved by one training actor")
    # a task's resources where its parameters leave them out (lwmecps.platform.training.resources)
    training_num_env_runners: int | Literal["auto"] = Field(
        "auto", description="EnvRunner actors per training (0..64); auto: one per free CPU (see resources.py)")
    training_num_envs_per_env_runner: int = Field(8, description="envs each EnvRunner steps at once (1..256)")
    training_num_cpus_per_env_runner: float | Literal["auto"] = Field(
        "auto", description="CPUs per EnvRunner (> 0); auto: the free CPUs the actor leaves, shared, at most 1")
    training_num_learners: int = Field(0, description="learner actors per training (0..8; 0: in the actor)")
    training_num_cpus_per_learner: float = Field(1.0, gt=0, le=64, description="CPUs per learner actor")
    training_cpu_headroom: float = Field(0.5, ge=0, le=64, description="CPUs the auto rule leaves free for "
                                         "reconciliations and policy replicas")
    training_max_auto_env_runners: int = Field(8, ge=0, le=64, description="most EnvRunners the auto rule gives")
    scheduler_poll_s: float = Field(1.0, gt=0, le=60)
    scheduler_reserve_timeout_s: float = Field(5.0, gt=0, le=600,
                                               description="seconds a task's reservation may take to be placed "
                                                           "before it waits queued for the next pass")
    checkpoint_every_iterations: int = Field(5, ge=1, le=10000)
    max_total_episodes: int = Field(100_000, ge=1, description="upper bound accepted for total_episodes")
    max_training_seconds: float = Field(24 * 3600.0, gt=0, description="wall-clock limit of one training run, s")
    max_queued_trainings: int = Field(100, ge=1, le=100_000,
                                      description="created + queued tasks accepted before new ones get 429")
    cancel_grace_s: float = Field(3.0, gt=0, le=60, description="seconds a cancelled training may take to stop cleanly")

    # reconciliation, serving and metrics
    max_reconcile_steps: int = Field(10_000, ge=1, le=1_000_000,
                                     description="largest sample_size of a reconciliation (decision steps)")
    reconcile_num_cpus: float = Field(0.5, gt=0, le=64, description="CPUs reserved by one reconciliation task")
    reconcile_timeout_s: float = Field(900.0, gt=0, description="wall-clock limit of one reconciliation run")
    max_policy_replicas: int = Field(8, ge=1, le=256, description="largest replicas of one served policy")
    policy_cpu_scale: float = Field(0.1, gt=0, le=1.0,
                                    description="Ray CPUs reserved per CPU a deploy requests (1.0 on a real cluster); "
                                                "a policy forward pass takes well under a millisecond")
    deploy_timeout_s: float = Field(180.0, gt=0, description="seconds a served policy may take to become healthy")
    metrics_sample_s: float = Field(5.0, gt=0, le=3600, description="period of the resource/system samplers")

    # HTTP hardening
    max_body_bytes: int = Field(1 << 20, ge=1024, le=1 << 30, description="largest request body accepted")
    cors_origins: list[str] = Field(default_factory=list,
                                    description="origins allowed by CORS (JSON list); empty: CORS closed")

    # auth
    admin_token: SecretStr | None = Field(None, description="LWMECPS_ADMIN_TOKEN: accepted as an admin token")

    # experiment tracking
    wandb_api_key: SecretStr | None = Field(None, validation_alias=AliasChoices("WANDB_API_KEY", "LWMECPS_WANDB_API_KEY"))
    wandb_project: str = Field("lwmecps-gym", description="default W&B project")

    @property
    def wandb_mode(self) -> str:
        """``online`` when a W&B key is set, else ``offline`` (runs under ./wandb, sync later)."""
        return "online" if self.wandb_api_key else "offline"

    @property
    def embedded_mongo(self) -> bool:
        return self.mongodb_uri is None

    def mongo_uri(self) -> str:
        if self.mongodb_uri is not None:
            return self.mongodb_uri.get_secret_value()
        return f"mongodb://127.0.0.1:{self.embedded_mongo_port}/"

    @field_validator("training_num_env_runners", "training_num_envs_per_env_runner",
                     "training_num_cpus_per_env_runner", "training_num_learners")
    @classmethod
    def _resource_default(cls, v, info):
        """The bounds (and where ``auto`` is allowed) are the task parameters' own: one statement,
        ``training.resources.RESOURCE_PARAMS``."""
        from .training.resources import validate

        key = info.field_name.removeprefix("training_")
        return validate({key: v})[key]

    def resolved(self) -> "Settings":
        """A copy with absolute paths (actors may run in another working directory)."""
        return self.model_copy(update={
            "data_dir": self.data_dir.resolve(), "artifacts_dir": self.artifacts_dir.resolve(),
            "wandb_dir": self.wandb_dir.resolve(),
        })


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()

"""The platform's one settings object: every knob an environment variable with a default.

Variables are prefixed ``LWMECPS_`` (``LWMECPS_API_PORT=9000``), except the conventional
``MONGODB_URI``, ``RAY_ADDRESS`` and ``WANDB_API_KEY``, which are read as they are.
"""
from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr
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
    serve_haproxy: bool = Field(True, description="route HTTP through Serve's HAProxy (RAY_SERVE_ENABLE_HA_PROXY=1): "
                                "~2x the req/s of the default proxy here; it binds all interfaces, auth stays on")

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
    scheduler_poll_s: float = Field(1.0, gt=0, le=60)
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

    def resolved(self) -> "Settings":
        """A copy with absolute paths (actors may run in another working directory)."""
        return self.model_copy(update={
            "data_dir": self.data_dir.resolve(), "artifacts_dir": self.artifacts_dir.resolve(),
            "wandb_dir": self.wandb_dir.resolve(),
        })


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()

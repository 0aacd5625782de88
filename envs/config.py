"""Typed configuration of the simulated edge cluster: physical constants and reward weights.

Defaults live in ``configs/env/default.yaml``; ``EnvParams.load(overrides)`` merges a dict of
overrides on top and validates everything (a bad value raises ``ValueError`` naming the key).
"""
from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError


class RewardWeights(BaseModel):
    """Weights of the per-step cost; reward = -cost.

    cost = latency_per_100ms * latency_ms / 100 + replica * sum(replicas)
           + failure * failed_fraction + switch * sum(|replicas_t - replicas_{t-1}|)
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    latency_per_100ms: float = Field(1.0, ge=0)
    replica: float = Field(0.15, ge=0)
    failure: float = Field(10.0, ge=0)
    switch: float = Field(0.05, ge=0)


class EnvParams(BaseModel):
    """Physical constants of the simulated cluster (units in the field names)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    decision_interval_s: float = Field(300.0, gt=0, description="simulated seconds per step")
    episode_hours: float = Field(24.0, gt=0, le=24 * 14)
    random_start: bool = True
    request_rate_per_user: float = Field(2.146, gt=0, description="req/s per user")
    service_rate_per_replica: float = Field(30.0, gt=0, description="req/s per replica")
    pod_cpu: float = Field(2.0, gt=0, description="cores per replica")
    pod_memory_mib: float = Field(2048.0, gt=0)
    base_network_ms: float = Field(5.0, ge=0)
    hop_latency_ms: float = Field(60.0, ge=0)
    timeout_ms: float = Field(800.0, gt=0)
    startup_delay_s: float = Field(60.0, ge=0)
    retry_fraction: float = Field(0.5, ge=0, le=1)
    backlog_cap_s: float = Field(60.0, ge=0)
    initial_replicas: int = Field(1, ge=0)
    noise: bool = True
    load_ema: float = Field(0.5, gt=0, le=1)
    peak_window_s: float = Field(1800.0, gt=0, le=86400, description="window of the recent-peak-load observation, s")
    station_share_alpha: float = Field(0.0, ge=0, le=1e4, description="per-episode Dirichlet share concentration")
    # per-episode workload randomisation (training); see lwmecps.envs.randomise for the formulas
    hot_station_prob: float = Field(0.0, ge=0, le=1, description="share of episodes with 1-2 adjacent hot stations")
    random_day_prob: float = Field(0.0, ge=0, le=1, description="share of episodes on a random daily shape")
    day_shift_hours: float = Field(0.0, ge=0, le=12, description="max shift of the group's daily curve, h")
    day_amplitude_min: float = Field(1.0, ge=0, le=5, description="least amplitude factor of the daily curve")
    day_amplitude_max: float = Field(1.0, ge=0, le=5, description="largest amplitude factor of the daily curve")
    load_level_min: float = Field(1.0, gt=0, le=10, description="least multiplier of the mean users")
    load_level_max: float = Field(1.0, gt=0, le=10, description="largest multiplier of the mean users")
    reward: RewardWeights = RewardWeights()

    @classmethod
    def load(cls, overrides: dict[str, Any] | None = None) -> "EnvParams":
        """Defaults from ``configs/env/default.yaml`` with ``overrides`` merged on top."""
        data = dict(_default_yaml())
        for key, value in (overrides or {}).items():
            if key == "reward" and isinstance(value, dict):
                data["reward"] = {**data.get("reward", {}), **value}
            else:
                data[key] = value
        try:
            params = cls.model_validate(data)
        except ValidationError as exc:
            raise ValueError(f"invalid env params: {_errors(exc)}") from None
        if params.startup_delay_s > params.decision_interval_s:
            raise ValueError("invalid env params: startup_delay_s must not exceed decision_interval_s")
        for low in ("day_amplitude", "load_level"):
            if getattr(params, f"{low}_min") > getattr(params, f"{low}_max"):
                raise ValueError(f"invalid env params: {low}_min must not exceed {low}_max")
        if params.timeout_ms <= params.base_network_ms:
            raise ValueError("invalid env params: timeout_ms must exceed base_network_ms")
        return params

    @property
    def peak_window_steps(self) -> int:
        """Intervals in the recent-peak-load window: ``max(1, round(peak_window_s / decision_interval_s))``."""
        return max(1, round(self.peak_window_s / self.decision_interval_s))

    @property
    def steps_per_episode(self) -> int:
        return max(1, round(self.episode_hours * 3600 / self.decision_interval_s))


def _errors(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'params'}: {e['msg']}" for e in exc.errors())


@lru_cache(maxsize=1)
def _default_yaml() -> dict[str, Any]:
    text = resources.files("lwmecps.configs").joinpath("env/default.yaml").read_text()
    return yaml.safe_load(text) or {}

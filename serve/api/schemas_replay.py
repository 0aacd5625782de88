"""Schemas of ``GET /api/v1/models/{id}/replay`` (one simulated day, step by step)."""
from __future__ import annotations

from pydantic import BaseModel, Field


class ReplayRun(BaseModel):
    """One policy's day; every list has one entry per decision interval (``steps``)."""

    replicas: list[list[int]] = Field(description="replicas per node in each interval")
    load: list[list[float]] = Field(description="station j's requests (arrivals + retries) / node j's full "
                                                "service rate, per node in each interval (1.0 = capacity)")
    cost: list[float] = Field(description="cost of each interval (the env's cost; lower is better)")
    latency_ms: list[float] = Field(description="mean request latency of each interval, ms")
    p95_latency_ms: list[float] = Field(description="p95 request latency of each interval, ms")
    success_rate: list[float] = Field(description="share of requests served within the timeout")
    total_cost: float = Field(description="sum of cost over the day")
    mean_cost: float = Field(description="total_cost / steps")


class ReplayOut(BaseModel):
    model_id: str
    group_id: str
    seed: int = Field(description="the day's seed: the same users and noise for every run")
    nodes: list[str]
    interval_s: float = Field(description="simulated seconds per decision interval")
    steps: int
    time_h: list[float] = Field(description="start of each interval, hours after midnight")
    users: list[float] = Field(description="users of all stations in each interval (the same for every run)")
    load: list[list[float]] = Field(description="the model's run's load per node in each interval")
    policies: dict[str, ReplayRun] = Field(description="'model' and each requested baseline")

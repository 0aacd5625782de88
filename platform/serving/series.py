"""Time windows and per-interval aggregation for the metrics routes.

``parse_window(start_time, end_time, interval)`` -> (start, end, seconds) with defaults: end = now,
start = end - 1 h, interval ``1m``; anything else is a ``BadRequest`` naming the parameter.
``bucket(samples, start, end, seconds, value, how)`` -> ``{"values": [...], "timestamps": [...]}``:
one entry per interval ``[start + k*s, start + (k+1)*s)`` that has samples, aggregated by ``how``:
``mean`` of ``value``, ``sum`` of it, or ``rate`` = number of samples / ``s`` (per second).
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from ..services.errors import BadRequest
from ..store.client import as_utc

INTERVALS = {"1m": 60, "5m": 300, "1h": 3600}
DEFAULT_WINDOW_S = 3600
MAX_BUCKETS = 2000


def parse_time(name: str, value: str) -> datetime:
    try:
        ts = datetime.fromisoformat(value.replace("Z", "+00:00") if value.endswith("Z") else value)
    except (ValueError, AttributeError):
        raise BadRequest(f"{name}={value!r} is not an ISO 8601 time (e.g. 2024-03-20T12:00:00Z)") from None
    return as_utc(ts)


def parse_window(start_time: str | None, end_time: str | None, interval: str | None,
                 now: datetime | None = None) -> tuple[datetime, datetime, int]:
    if interval is None:
        interval = "1m"
    if interval not in INTERVALS:
        raise BadRequest(f"interval={interval!r} is not one of {', '.join(INTERVALS)}")
    seconds = INTERVALS[interval]
    end = parse_time("end_time", end_time) if end_time else (now or datetime.now(timezone.utc))
    start = parse_time("start_time", start_time) if start_time else end - timedelta(seconds=DEFAULT_WINDOW_S)
    if start >= end:
        raise BadRequest(f"start_time {start.isoformat()} must be before end_time {end.isoformat()}")
    if (end - start).total_seconds() / seconds > MAX_BUCKETS:
        raise BadRequest(f"the window holds more than {MAX_BUCKETS} intervals of {interval}; "
                         f"shorten it or use a longer interval")
    return start, end, seconds


def iso(ts: datetime) -> str:
    return ts.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def bucket(samples: list[dict[str, Any]], start: datetime, seconds: int,
           value: Callable[[dict[str, Any]], float] | None = None, how: str = "mean") -> dict[str, list]:
    """Aggregate ``samples`` (each with a ``ts``) per interval; empty intervals are left out."""
    if how not in ("mean", "sum", "rate"):
        raise ValueError(f"unknown aggregation {how!r}")
    groups: dict[int, list[float]] = {}
    for s in samples:
        k = int((as_utc(s["ts"]) - start).total_seconds() // seconds)
        groups.setdefault(k, []).append(value(s) if value else 1.0)
    values, stamps = [], []
    for k in sorted(groups):
        xs = groups[k]
        values.append(len(xs) / seconds if how == "rate" else sum(xs) if how == "sum" else sum(xs) / len(xs))
        stamps.append(iso(start + timedelta(seconds=k * seconds)))
    return {"values": values, "timestamps": stamps}

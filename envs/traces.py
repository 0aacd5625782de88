"""Measured workload traces from CSV: users per station per slot, validated with errors that name
the line, the column and the problem.

Format: a header row, then one row per slot. The first column is ``timestamp`` (seconds, or ISO 8601
date-times; evenly spaced: the slot length is their spacing) or ``slot`` (0, 1, 2, ...; the slot length
is ``slot_s``, default 300 s); every other column is one station, the header its name (the node it
sits on; ``nodes`` default to the testbed's: 8 cores, 16 GiB each). Values: users present (>= 0,
fractions allowed). Limits: ``MAX_BYTES`` (8 MiB), ``MAX_STATIONS`` (64), slots of 1..3600 s, and 1 to
``groups.MAX_TRACE_DAYS`` (7) whole days (episodes start anywhere within them and wrap around the
end); see ``groups.TraceSpec``.

``TraceTooLarge`` (the API answers 413) and ``TraceError`` (422) are ``GroupFileError``s.
"""
from __future__ import annotations

import csv
import io
import math
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .groups import GroupFileError, GroupSpec, WorkloadGroup, _generate_users, validation_detail

MAX_BYTES = 8 * 1024 * 1024
MAX_STATIONS = 64
DEFAULT_SLOT_S = 300.0
TESTBED_NODE = {"cpu": 8.0, "memory_mib": 16384.0}


class TraceError(GroupFileError):
    """A trace that cannot be read: names the line, the column and the problem."""


class TraceTooLarge(TraceError):
    """A trace over ``MAX_BYTES``."""


def _number(text: str, line: int, column: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise TraceError(f"line {line}, column {column!r}: {text!r} is not a number") from None
    if not math.isfinite(value):
        raise TraceError(f"line {line}, column {column!r}: {text!r} is not a finite number")
    if value < 0:
        raise TraceError(f"line {line}, column {column!r}: {text} is negative (users must be >= 0)")
    return value


def _seconds(text: str, line: int) -> float:
    try:
        return float(text)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(text.strip()).timestamp()
    except ValueError:
        raise TraceError(f"line {line}, column 'timestamp': {text!r} is neither seconds nor an ISO 8601 "
                         f"date-time") from None


def parse_csv(data: str | bytes) -> tuple[list[str], float | None, list[list[float]]]:
    """``(station names, slot length from the timestamps or None for a slot column, users rows)``."""
    raw = data.encode() if isinstance(data, str) else data
    if len(raw) > MAX_BYTES:
        raise TraceTooLarge(f"the trace is {len(raw) / 2**20:.1f} MiB; the limit is {MAX_BYTES // 2**20} MiB")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TraceError(f"the trace is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    rows = list(csv.reader(io.StringIO(text)))
    rows = [(i + 1, r) for i, r in enumerate(rows) if any(cell.strip() for cell in r)]
    if not rows:
        raise TraceError("the trace is empty: a header row (timestamp or slot, then station names) and data rows")
    _, header = rows[0]
    header = [h.strip() for h in header]
    first, stations = header[0].lower(), header[1:]
    if first not in ("timestamp", "slot"):
        raise TraceError(f"line 1, column 1: the first column must be 'timestamp' or 'slot', got {header[0]!r}")
    if not stations:
        raise TraceError("line 1: no station columns after the first one")
    if len(stations) > MAX_STATIONS:
        raise TraceError(f"line 1: {len(stations)} stations; at most {MAX_STATIONS}")
    missing = [k + 2 for k, name in enumerate(stations) if not name]
    if missing:
        raise TraceError(f"line 1, column {missing[0]}: a station column has no name")
    dup = sorted({n for n in stations if stations.count(n) > 1})
    if dup:
        raise TraceError(f"line 1: station {dup[0]!r} appears twice")
    if len(rows) < 2:
        raise TraceError("the trace has a header and no data rows")
    times, users = [], []
    for line, row in rows[1:]:
        if len(row) != len(header):
            raise TraceError(f"line {line}: {len(row)} values, the header has {len(header)} "
                             f"({'missing station column' if len(row) < len(header) else 'extra values'})")
        times.append(_seconds(row[0], line) if first == "timestamp" else row[0])
        users.append([_number(cell.strip(), line, name) for cell, name in zip(row[1:], stations)])
    if first == "slot":
        for k, ((line, _), value) in enumerate(zip(rows[1:], times)):
            if value.strip() != str(k):
                raise TraceError(f"line {line}, column 'slot': {value!r}, expected {k} (slots count 0, 1, 2, ...)")
        return stations, None, users
    if len(times) < 2:
        raise TraceError("one timestamp gives no slot length: the trace needs at least two rows")
    step = times[1] - times[0]
    for k in range(1, len(times)):
        if abs((times[k] - times[k - 1]) - step) > 1e-6 or step <= 0:
            raise TraceError(f"line {rows[k + 1][0]}: timestamps must rise evenly ({step:g} s apart at first, "
                             f"{times[k] - times[k - 1]:g} s here)")
    return stations, step, users


def trace_group(name: str, stations: list[str], slot_s: float, users: list[list[float]],
                nodes: list[dict[str, Any]] | None = None, description: str = "", role: str = "other",
                latency_ms: list[list[float]] | None = None) -> WorkloadGroup:
    """A ``WorkloadGroup`` from a parsed trace; ``nodes``: ``[{name, cpu, memory_mib}]`` in the stations'
    order (default: the testbed's nodes, named after the stations); ``latency_ms``: the topology's
    n x n matrix (``GroupSpec.latency_ms``; default: the failover ring)."""
    nodes = nodes if nodes is not None else [{"name": s, **TESTBED_NODE} for s in stations]
    try:
        spec = GroupSpec.model_validate({"name": name, "description": description, "role": role, "nodes": nodes,
                                         "trace": {"slot_s": slot_s, "users": users}, "latency_ms": latency_ms})
    except ValidationError as exc:
        raise TraceError(validation_detail(exc)) from None
    return WorkloadGroup(spec=spec, users=_generate_users(spec))


def csv_group(name: str, data: str | bytes, slot_s: float | None = None, nodes: list[dict[str, Any]] | None = None,
              latency_ms: list[list[float]] | None = None) -> WorkloadGroup:
    """A group from a CSV trace's text (``parse_csv``; the slot: the timestamps' spacing, else ``slot_s``,
    else ``DEFAULT_SLOT_S``; a ``slot_s`` that disagrees with the timestamps is a ``TraceError``)."""
    stations, step, users = parse_csv(data)
    if step is not None and slot_s is not None and abs(step - slot_s) > 1e-6:
        raise TraceError(f"slot_s={slot_s:g} disagrees with the timestamps ({step:g} s apart)")
    return trace_group(name, stations, step or slot_s or DEFAULT_SLOT_S, users, nodes, latency_ms=latency_ms)


def load_trace_csv(path: str | Path, name: str | None = None, slot_s: float | None = None,
                   nodes: list[dict[str, Any]] | None = None,
                   latency_ms: list[list[float]] | None = None) -> WorkloadGroup:
    """A group from a CSV trace file (its name: ``name`` or the file's stem; ``nodes``, ``latency_ms``:
    ``trace_group``)."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise TraceTooLarge(f"{path}: the trace is {size / 2**20:.1f} MiB; the limit is {MAX_BYTES // 2**20} MiB")
        data = path.read_bytes()
    except OSError as exc:
        raise TraceError(f"{path}: cannot read the trace: {exc}") from None
    try:
        return csv_group(name or path.stem, data, slot_s, nodes, latency_ms)
    except TraceError as exc:
        raise type(exc)(f"{path}: {exc}") from None

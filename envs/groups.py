"""Workload groups: named scenarios of users per base station over one day.

A group is a YAML file in ``configs/groups/`` (data, not code). The loader validates it and
generates the per-slot users deterministically:

1. aggregate users ``U(s)`` for slot ``s`` (10 s): the 24 ``hourly`` means, linearly interpolated
   (periodic), affinely rescaled to the daily ``mean``, plus a slow AR(1) deviation of standard
   deviation ``jitter_users`` (memory ~10 minutes, ``seed``), clipped to [``min``, ``max``], rounded;
2. split over stations: each slot's users are assigned by a multinomial draw with the station
   ``shares`` (testbed facts) or with shares from ``Dirichlet(dirichlet_alpha)`` (synthetic groups);

or, instead of both, a measured ``trace`` (``TraceSpec``: users per station per slot, one to
``MAX_TRACE_DAYS`` whole days; CSV files: ``lwmecps.envs.traces``), put on the same 10 s grid. A
group's *period* is the length of its data: one day for synthetic groups, the trace's days for a
trace. Episodes start at an interval drawn uniformly over the period and wrap around at its end;
the observation's time of day is the interval's clock time (interval mod one day).

Every group has a ``role`` in the evaluation protocol: ``train`` (trained on: ``profile-a``),
``validation`` (every choice — checkpoint selection, defaults such as the randomisation ranges,
hyperparameters — is made here), ``heldout`` (reported, never used to choose anything) or
``other`` (e.g. clusters of another shape). ``groups_with_role(role)`` lists them.

Unknown names raise ``UnknownGroupError`` naming the known groups; malformed files raise
``GroupFileError`` naming the file and the field.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Literal

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator


class UnknownGroupError(KeyError):
    """Raised for a group name that has no file in ``configs/groups/``."""

    def __str__(self) -> str:  # KeyError quotes its message; we want it readable
        return str(self.args[0])


class GroupFileError(ValueError):
    """Raised when a group file is malformed."""


class NodeSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str = Field(min_length=1)
    cpu: float = Field(gt=0, description="cores")
    memory_mib: float = Field(gt=0)


class AggregateSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    hourly: list[float] = Field(min_length=24, max_length=24)
    mean: float = Field(gt=0, description="users")
    min: float = Field(ge=0)
    max: float = Field(gt=0)
    jitter_users: float = Field(0.0, ge=0)
    seed: int = 0

    @model_validator(mode="after")
    def _bounds(self) -> "AggregateSpec":
        if not self.min <= self.mean <= self.max:
            raise ValueError("need min <= mean <= max")
        if any(h < 0 for h in self.hourly):
            raise ValueError("hourly users must be >= 0")
        return self


class StationSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    shares: list[float] | None = None
    dirichlet_alpha: float | None = Field(None, gt=0)
    seed: int = 0

    @model_validator(mode="after")
    def _one_source(self) -> "StationSpec":
        if (self.shares is None) == (self.dirichlet_alpha is None):
            raise ValueError("give exactly one of shares or dirichlet_alpha")
        if self.shares is not None and (any(s < 0 for s in self.shares) or sum(self.shares) <= 0):
            raise ValueError("shares must be >= 0 with a positive sum")
        return self


class TraceSpec(BaseModel):
    """A measured trace: ``users[slot][station]`` (users present, >= 0) over slots of ``slot_s`` seconds.

    A trace covers whole days, 1 to ``MAX_TRACE_DAYS`` (``slot_s x rows = days x 86400``); the first
    row is the start of a day (00:00). Episodes start anywhere within it and wrap around its end,
    like the synthetic groups' single day. It is put on the groups' 10 s grid: a slot shorter than 10 s is averaged
    (``10 / slot_s`` slots per grid slot), a longer one repeated (``slot_s / 10`` grid slots), so
    ``slot_s`` must divide 10 s or be a multiple of it, between 1 s and 3600 s."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    slot_s: float = Field(ge=1, le=3600, description="seconds per trace row")
    users: list[list[float]] = Field(min_length=1)

    @model_validator(mode="after")
    def _shape(self) -> "TraceSpec":
        per, rep = GRID_S / self.slot_s, self.slot_s / GRID_S
        if not (abs(per - round(per)) < 1e-9 or abs(rep - round(rep)) < 1e-9):
            raise ValueError(f"slot_s={self.slot_s:g} must divide {GRID_S:g} s or be a multiple of it")
        widths = {len(row) for row in self.users}
        if len(widths) != 1:
            row = next(i for i, r in enumerate(self.users) if len(r) != len(self.users[0]))
            raise ValueError(f"ragged trace: row {row} has {len(self.users[row])} values, row 0 has "
                             f"{len(self.users[0])}")
        values = np.asarray(self.users, dtype=np.float64)
        bad = np.argwhere(~np.isfinite(values) | (values < 0))
        if bad.size:
            i, j = (int(k) for k in bad[0])
            raise ValueError(f"row {i}, station {j}: {self.users[i][j]!r} is not a number >= 0")
        days = self.slot_s * len(self.users) / 86400
        if abs(days - round(days)) > 1e-9 or not 1 <= round(days) <= MAX_TRACE_DAYS:
            raise ValueError(f"the trace covers {self.slot_s * len(self.users):g} s ({len(self.users)} rows of "
                             f"{self.slot_s:g} s); it must cover whole days, 1 to {MAX_TRACE_DAYS} "
                             f"(86400 s each: {86400 / self.slot_s:g} rows a day)")
        return self

    @property
    def days(self) -> int:
        return round(self.slot_s * len(self.users) / 86400)


GRID_S = 10.0  # the groups' slot grid (s)
MAX_TRACE_DAYS = 7
ROLES = ("train", "validation", "heldout", "other")


class GroupSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str
    description: str = ""
    role: Literal["train", "validation", "heldout", "other"] = "other"
    slot_s: float = Field(10.0, gt=0)
    slots: int = Field(8640, gt=0)
    nodes: list[NodeSpec] = Field(min_length=1, max_length=64)
    aggregate: AggregateSpec | None = None
    stations: StationSpec | None = None
    trace: TraceSpec | None = None
    latency_ms: list[list[float]] | None = Field(
        None, description="ms from station j (row) to node k (column), added to base_network_ms; "
                          "default: the failover ring, (k - j) mod n hops of hop_latency_ms")

    @model_validator(mode="after")
    def _consistent(self) -> "GroupSpec":
        if self.latency_ms is not None:
            n = len(self.nodes)
            if len(self.latency_ms) != n or any(len(row) != n for row in self.latency_ms):
                shape = f"{len(self.latency_ms)} rows of {sorted({len(r) for r in self.latency_ms})} values"
                raise ValueError(f"latency_ms must be a square {n} x {n} matrix (one row and one column per "
                                 f"node); got {shape}")
            for j, row in enumerate(self.latency_ms):
                for k, ms in enumerate(row):
                    if not np.isfinite(ms) or ms < 0:
                        raise ValueError(f"latency_ms[{j}][{k}] = {ms!r}: latencies must be finite and >= 0 ms")
        if self.trace is not None:
            if self.aggregate is not None or self.stations is not None:
                raise ValueError("give either a trace or aggregate and stations, not both")
            if len(self.trace.users[0]) != len(self.nodes):
                raise ValueError(f"the trace has {len(self.trace.users[0])} stations for {len(self.nodes)} nodes")
            if (self.slot_s, self.slots) != (GRID_S, 8640):
                raise ValueError("a trace sets its own slot_s (trace.slot_s); leave slot_s and slots out")
            return self
        if self.aggregate is None or self.stations is None:
            raise ValueError("give a trace, or both aggregate and stations")
        if self.stations.shares is not None and len(self.stations.shares) != len(self.nodes):
            raise ValueError(f"stations.shares has {len(self.stations.shares)} entries for {len(self.nodes)} nodes")
        if abs(self.slot_s * self.slots - 86400) > 1e-6:
            raise ValueError("slot_s * slots must cover one day (86400 s)")
        return self


@dataclass(frozen=True)
class WorkloadGroup:
    """A loaded group: its spec and ``users[slot, station]``, users present in each 10 s slot (int for
    synthetic groups, float for traces)."""

    spec: GroupSpec
    users: np.ndarray

    @property
    def name(self) -> str:
        return self.spec.name

    def __repr__(self) -> str:  # short: RLlib and Tune print configs that hold a group
        return f"WorkloadGroup({self.name!r}, nodes={self.n_nodes}, slots={self.users.shape[0]})"

    def __deepcopy__(self, memo) -> "WorkloadGroup":
        return self  # immutable (frozen spec, and nothing writes users): RLlib deep-copies its configs

    @property
    def n_nodes(self) -> int:
        return len(self.spec.nodes)

    @property
    def days(self) -> int:
        """Days of data (the period episodes wrap around): a trace's days, else 1."""
        return self.spec.trace.days if self.spec.trace is not None else 1

    def interval_means(self, interval_s: float) -> np.ndarray:
        """Mean users per station for each decision interval of the period (``days`` days): shape
        (intervals, nodes)."""
        per = interval_s / self.spec.slot_s
        if abs(per - round(per)) > 1e-9 or round(per) < 1 or self.users.shape[0] % round(per):
            raise ValueError(
                f"decision_interval_s={interval_s} must be a whole number of {self.spec.slot_s} s slots dividing the day"
            )
        per = round(per)
        return self.users.reshape(-1, per, self.n_nodes).mean(axis=1)


def group_fingerprint(group: WorkloadGroup) -> str:
    """sha256 (hex) of a loaded group's content: its spec as JSON and its ``users`` array (dtype, shape,
    bytes). An edited group file, or a change in how users are generated, gives another fingerprint."""
    users = np.ascontiguousarray(group.users)
    digest = hashlib.sha256(group.spec.model_dump_json().encode())
    digest.update(f"|{users.dtype.str}|{users.shape}|".encode())
    digest.update(users.tobytes())
    return digest.hexdigest()


def groups_dir() -> Path:
    return Path(str(resources.files("lwmecps.configs").joinpath("groups")))


def known_groups() -> list[str]:
    return sorted(p.stem for p in groups_dir().glob("*.yaml"))


def groups_with_role(role: str) -> list[str]:
    """Names of the shipped groups with ``role`` (one of ``ROLES``), sorted."""
    if role not in ROLES:
        raise ValueError(f"unknown group role {role!r}; roles: {', '.join(ROLES)}")
    return [name for name in known_groups() if load_group(name).spec.role == role]


def load_group(name: str) -> WorkloadGroup:
    """Load a group by name (``configs/groups/<name>.yaml``)."""
    if not isinstance(name, str) or name not in known_groups():
        raise UnknownGroupError(f"unknown workload group {name!r}; known groups: {', '.join(known_groups())}")
    return _load_cached(name)


@lru_cache(maxsize=64)
def _load_cached(name: str) -> WorkloadGroup:
    return load_group_file(groups_dir() / f"{name}.yaml")


def as_group(group: "str | WorkloadGroup") -> WorkloadGroup:
    """A loaded group: ``group`` itself, or the shipped group of that name (``load_group``)."""
    return group if isinstance(group, WorkloadGroup) else load_group(group)


def group_from_spec(spec: dict) -> WorkloadGroup:
    """A group from its schema as a dict (``GroupSpec``; e.g. one stored by the platform);
    ``GroupFileError`` names the fields that are wrong."""
    try:
        parsed = GroupSpec.model_validate(spec)
    except ValidationError as exc:
        raise GroupFileError(validation_detail(exc)) from None
    return WorkloadGroup(spec=parsed, users=_generate_users(parsed))


def load_group_file(path: str | Path) -> WorkloadGroup:
    """Load and validate one group file (YAML/JSON group schema, or a CSV trace: ``traces``);
    ``GroupFileError`` names the file and the problem."""
    path = Path(path)
    if path.suffix.lower() == ".csv":
        from .traces import load_trace_csv

        return load_trace_csv(path)
    try:
        raw = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise GroupFileError(f"{path}: cannot read group file: {exc}") from None
    if not isinstance(raw, dict):
        raise GroupFileError(f"{path}: a group file must be a YAML mapping")
    try:
        spec = GroupSpec.model_validate(raw)
    except ValidationError as exc:
        raise GroupFileError(f"{path}: {validation_detail(exc)}") from None
    return WorkloadGroup(spec=spec, users=_generate_users(spec))


def validation_detail(exc: ValidationError) -> str:
    """A group's validation errors as ``field.path: message; ...``."""
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'group'}: {e['msg']}" for e in exc.errors())


def _generate_users(spec: GroupSpec) -> np.ndarray:
    if spec.trace is not None:
        return _trace_on_grid(spec.trace)
    agg = _aggregate_curve(spec.aggregate, spec.slots, spec.slot_s)
    shares = _station_shares(spec.stations, len(spec.nodes))
    rng = np.random.default_rng(spec.stations.seed)
    return rng.multinomial(agg.astype(np.int64), shares).astype(np.int32)


def _trace_on_grid(trace: TraceSpec) -> np.ndarray:
    """``users[slot, station]`` on the 10 s grid (float: a trace's users may be fractional means)."""
    users = np.asarray(trace.users, dtype=np.float64)
    if trace.slot_s >= GRID_S:
        return np.repeat(users, int(round(trace.slot_s / GRID_S)), axis=0)
    per = int(round(GRID_S / trace.slot_s))
    return users.reshape(-1, per, users.shape[1]).mean(axis=1)


def _aggregate_curve(agg: AggregateSpec, slots: int, slot_s: float) -> np.ndarray:
    hours = (np.arange(slots) + 0.5) * slot_s / 3600.0
    knots = np.arange(25) + 0.5  # hourly means sit at the middle of each hour; periodic
    values = np.append(agg.hourly, agg.hourly[0])
    curve = np.interp(hours, np.concatenate(([knots[-1] - 25], knots)), np.concatenate(([values[-1]], values)))
    curve = agg.mean + (curve - curve.mean()) * 1.0
    if agg.jitter_users > 0:
        rng = np.random.default_rng(agg.seed)
        phi = np.exp(-slot_s / 600.0)  # 10-minute memory
        eps = rng.normal(0.0, agg.jitter_users * np.sqrt(1 - phi**2), slots)
        ar = np.empty(slots)
        ar[0] = rng.normal(0.0, agg.jitter_users)
        for i in range(1, slots):
            ar[i] = phi * ar[i - 1] + eps[i]
        curve = curve + ar
    return np.clip(np.rint(curve), agg.min, agg.max)


def _station_shares(st: StationSpec, n: int) -> np.ndarray:
    if st.shares is not None:
        shares = np.asarray(st.shares, dtype=float)
    else:
        shares = np.random.default_rng(st.seed).dirichlet(np.full(n, st.dirichlet_alpha))
    return shares / shares.sum()

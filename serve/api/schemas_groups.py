"""Response schemas of /api/v1/groups (the request bodies: ``lwmecps.envs.groups.GroupSpec``)."""
from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import BaseModel, Field

from .schemas_base import FromDoc, UTCDateTime


class GroupOut(FromDoc):
    """A group's metadata: a shipped group's from its file, a user group's as stored (``_id`` -> ``group_id``,
    its name)."""

    id_field: ClassVar[str] = "group_id"
    group_id: str = Field(description="the name a task, a reconciliation or a sweep takes as group_id")
    description: str = ""
    role: str = Field(description="train | validation | heldout | other (user groups: other)")
    source: Literal["trace", "synthetic"] = Field(description="a measured trace, or the synthetic generator")
    shipped: bool = Field(False, description="shipped with the platform (configs/groups/; cannot be deleted)")
    nodes: int = Field(description="node count (= stations)")
    node_count: int = Field(description="the same as nodes (kept for older clients)")
    node_names: list[str]
    node_cpus: list[float] = Field(description="cores per node")
    node_memory_mib: list[float]
    slots: int = Field(description="slots of data (all its days)")
    slot_s: float = Field(description="seconds per slot")
    days: int = Field(1, description="days of data: episodes start anywhere within them and wrap around")
    latency_matrix: bool = Field(description="has its own latency_ms matrix (else the failover ring)")
    created_at: UTCDateTime | None = Field(None, description="when uploaded (shipped groups: null)")

    @classmethod
    def derive(cls, doc: dict[str, Any]) -> dict[str, Any]:
        # groups stored before multi-day traces have no ``days``: one day
        return {**doc, "node_count": doc["nodes"], "days": doc.get("days") or 1}


class GroupList(BaseModel):
    groups: list[GroupOut]

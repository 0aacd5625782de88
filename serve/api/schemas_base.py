"""What every response read from MongoDB shares: UTC timestamps, paging, and one mapping from the stored
document to the schema.

A resource's responses form one inheritance line (``Base -> Summary -> Status``, as the FastAPI full-stack
template does): each level adds fields to the one above, and every level validates straight from the stored
document with ``Schema.model_validate(doc)``. The mapping from a document to a schema is stated once per
resource, on its ``Base``: ``id_field`` (the document's ``_id`` as that field, as text) and ``derive`` (fields
the API shows that the document holds in another form). Fields the schema does not declare are left out
(pydantic's ``extra="ignore"``), so a document may hold more than the API shows.
"""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, BeforeValidator, Field, model_validator

from lwmecps.platform.store import as_utc

#: every timestamp the API returns: ISO 8601 in UTC with ``Z`` (the store may give a naive datetime or,
#: after a ``$set`` on nx-27017, an ISO string without a zone: both mean UTC)
UTCDateTime = Annotated[datetime, BeforeValidator(as_utc)]


class FromDoc(BaseModel):
    """A response validated straight from its stored document.

    ``id_field``: the field that shows the document's ``_id`` (None: the ``_id`` is not shown).
    ``derive(doc)``: the resource's fields that the document stores in another form; it must give the same
    result when called again on its own output (FastAPI validates a returned model once more against the
    route's ``response_model``)."""

    id_field: ClassVar[str | None] = None

    @model_validator(mode="before")
    @classmethod
    def _from_doc(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        if "_id" in data:
            data = {k: v for k, v in data.items() if k != "_id"} | (
                {cls.id_field: str(data["_id"])} if cls.id_field else {})
        return cls.derive(data)

    @classmethod
    def derive(cls, doc: dict[str, Any]) -> dict[str, Any]:
        return doc


class Page(BaseModel):
    """The paging fields of every listing (``page`` from 1; ``total`` over all pages)."""

    total: int = Field(description="items over all pages")
    page: int = Field(description="this page, from 1")
    per_page: int

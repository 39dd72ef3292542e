"""Base API shapes: strict requests (no unknown fields) and cursor pages."""

from __future__ import annotations

import base64
import json
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel, ConfigDict

from liquibond.platform.errors import BadRequest

MAX_PAGE_SIZE = 200


class RequestModel(BaseModel):
    """A request body: unknown fields are refused (no mass assignment)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ResponseModel(BaseModel):
    """A response body, built from attributes of domain objects."""

    model_config = ConfigDict(from_attributes=True)


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a cursor-paginated list."""

    items: list[T]
    next_cursor: str | None


PageLimit = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="Page size")]
PageCursor = Annotated[
    str | None, Query(max_length=512, description="Opaque cursor from `next_cursor`")
]


def encode_cursor(position: dict[str, Any]) -> str:
    """Opaque cursor for the position after the last item of a page."""
    return base64.urlsafe_b64encode(json.dumps(position, separators=(",", ":")).encode()).decode()


def decode_cursor(cursor: str | None) -> dict[str, Any] | None:
    """The position inside a cursor; a malformed cursor is a 400 problem."""
    if cursor is None:
        return None
    try:
        position = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest(code="pagination.invalid_cursor", detail="The cursor is invalid.") from exc
    if not isinstance(position, dict):
        raise BadRequest(code="pagination.invalid_cursor", detail="The cursor is invalid.")
    return position

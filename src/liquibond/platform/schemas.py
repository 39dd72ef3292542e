"""Base API shapes: strict requests (no unknown fields) and cursor pages."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable
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
V = TypeVar("V")


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


def _invalid_cursor() -> BadRequest:
    return BadRequest(code="pagination.invalid_cursor", detail="The cursor is invalid.")


def cursor_value(cursor: str | None, key: str, parse: Callable[[object], V]) -> V | None:
    """The value stored under `key` in a cursor (None without a cursor); 400 if malformed."""
    if cursor is None:
        return None
    try:
        position = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        return parse(position[key])
    except (ValueError, UnicodeDecodeError, KeyError, TypeError) as exc:
        raise _invalid_cursor() from exc


def as_uuid(value: object) -> uuid.UUID:
    """A UUID from a cursor value."""
    return uuid.UUID(str(value))


def as_int(value: object) -> int:
    """An integer from a cursor value (never a float or a string)."""
    if type(value) is not int:
        raise TypeError("not an integer")
    return value


def as_str(value: object) -> str:
    """A string from a cursor value."""
    if not isinstance(value, str):
        raise TypeError("not a string")
    return value

"""Ownership checks: another user's resource is indistinguishable from a missing one."""

from __future__ import annotations

import uuid
from typing import Any, Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from liquibond.platform.errors import not_found


class Owned(Protocol):
    """A row that belongs to one user."""

    user_id: Any


OwnedRow = TypeVar("OwnedRow", bound=Owned)


async def owned(
    session: AsyncSession,
    model: type[OwnedRow],
    row_id: uuid.UUID,
    owner_id: uuid.UUID,
    resource: str,
) -> OwnedRow:
    """The row with `row_id` if it belongs to `owner_id`; a 404 problem otherwise, so ids
    cannot be probed."""
    row = await session.get(model, row_id)
    if row is None or row.user_id != owner_id:
        raise not_found(resource)
    return row

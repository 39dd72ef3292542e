"""Lifecycles as explicit transition tables: the one way a row's status changes."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Protocol

from liquibond.platform.db import utcnow
from liquibond.platform.errors import Conflict


class Stateful(Protocol):
    """A row with a lifecycle."""

    status: str
    updated_at: datetime | None


def apply_step(
    row: Stateful,
    target: StrEnum | None,
    step: StrEnum,
    *,
    code: str,
    noun: str,
    **changes: object,
) -> None:
    """Set `row.status` to `target` (the status its transition table gives for `step`), stamp
    `updated_at` and apply `changes`; 409 `code` if the table has no such step (`target` is
    None), changing nothing."""
    if target is None:
        raise Conflict(code=code, detail=f"A {noun} that is {row.status} cannot {step.value}.")
    row.status = target.value
    row.updated_at = utcnow()
    for name, value in changes.items():
        setattr(row, name, value)

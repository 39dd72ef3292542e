"""Append-only, hash-chained audit log of security- and money-relevant actions."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Integer, String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from liquibond.platform.db import Base, utcnow
from liquibond.platform.observability import current_request_id

GENESIS_HASH = "0" * 64
_HEAD_ID = 1


class AuditEntry(Base):
    """One audited action; `hash` covers the row and the previous row's hash."""

    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=False
    )
    occurred_at: Mapped[datetime]
    actor_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    action: Mapped[str] = mapped_column(String(100), index=True)
    target: Mapped[str | None] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]]
    request_id: Mapped[str | None] = mapped_column(String(128))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """The chain's tip, kept in step with the log so that deleting the last rows shows."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"))
    hash: Mapped[str] = mapped_column(String(64))


def _row_hash(
    *,
    seq: int,
    occurred_at: datetime,
    actor_id: uuid.UUID | None,
    action: str,
    target: str | None,
    payload: dict[str, Any],
    request_id: str | None,
    prev_hash: str,
) -> str:
    canonical = json.dumps(
        {
            "seq": seq,
            "occurred_at": occurred_at.isoformat(),
            "actor_id": str(actor_id) if actor_id else None,
            "action": action,
            "target": target,
            "payload": payload,
            "request_id": request_id,
            "prev_hash": prev_hash,
        },
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


async def record_audit(
    session: AsyncSession,
    *,
    actor_id: uuid.UUID | None,
    action: str,
    target: str | None = None,
    payload: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry in the caller's transaction; concurrent writers queue on the head row."""
    head = await session.get_one(AuditHead, _HEAD_ID, with_for_update=True)
    body = json.loads(json.dumps(payload or {}, default=str))
    entry_fields: dict[str, Any] = {
        "seq": head.seq + 1,
        "occurred_at": utcnow(),
        "actor_id": actor_id,
        "action": action,
        "target": target,
        "payload": body,
        "request_id": current_request_id(),
        "prev_hash": head.hash,
    }
    entry = AuditEntry(**entry_fields, hash=_row_hash(**entry_fields))
    session.add(entry)
    head.seq, head.hash = entry.seq, entry.hash
    await session.flush()
    return entry


@dataclass(frozen=True, slots=True)
class AuditBreak:
    """Where and how the chain is broken."""

    seq: int
    reason: str


async def verify_audit_chain(session: AsyncSession, *, batch: int = 5_000) -> list[AuditBreak]:
    """Recompute the whole chain; any edited, inserted or deleted row shows up as a break."""
    breaks: list[AuditBreak] = []
    expected_seq, prev_hash = 1, GENESIS_HASH
    async for entry in _entries(session, batch):
        if entry.seq != expected_seq:
            breaks.append(AuditBreak(expected_seq, f"rows {expected_seq}..{entry.seq - 1} missing"))
        if entry.prev_hash != prev_hash:
            breaks.append(AuditBreak(entry.seq, "previous-hash link broken"))
        recomputed = _row_hash(
            seq=entry.seq,
            occurred_at=entry.occurred_at,
            actor_id=entry.actor_id,
            action=entry.action,
            target=entry.target,
            payload=entry.payload,
            request_id=entry.request_id,
            prev_hash=entry.prev_hash,
        )
        if recomputed != entry.hash:
            breaks.append(AuditBreak(entry.seq, "row content does not match its hash"))
        expected_seq, prev_hash = entry.seq + 1, entry.hash
    head = await session.get(AuditHead, _HEAD_ID)
    if head is None:
        breaks.append(AuditBreak(0, "audit head missing"))
    elif (head.seq, head.hash) != (expected_seq - 1, prev_hash):
        breaks.append(AuditBreak(head.seq, "log ends before the recorded head (rows deleted)"))
    return breaks


async def _entries(session: AsyncSession, batch: int) -> AsyncIterator[AuditEntry]:
    last = 0
    while True:
        rows = (
            await session.scalars(
                select(AuditEntry)
                .where(AuditEntry.seq > last)
                .order_by(AuditEntry.seq)
                .limit(batch)
            )
        ).all()
        if not rows:
            return
        for row in rows:
            yield row
        last = rows[-1].seq
        session.expunge_all()


async def list_audit(
    session: AsyncSession,
    *,
    limit: int,
    before_seq: int | None,
    action: str | None = None,
    actor_id: uuid.UUID | None = None,
    target: str | None = None,
) -> list[AuditEntry]:
    """Audit entries, newest first, optionally filtered, starting before `before_seq`."""
    query = select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(limit)
    if before_seq is not None:
        query = query.where(AuditEntry.seq < before_seq)
    if action is not None:
        query = query.where(AuditEntry.action == action)
    if actor_id is not None:
        query = query.where(AuditEntry.actor_id == actor_id)
    if target is not None:
        query = query.where(AuditEntry.target == target)
    return list(await session.scalars(query))

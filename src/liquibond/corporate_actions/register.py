"""A second register of a bond's holders, kept outside the ledger (a tokenized bond's, on its
chain): the port corporate actions read it through at a record date's close, and the check
that it agrees with the ledger's register before anybody is entitled.

The chain implements :class:`Register` (:class:`liquibond.chain.register.ChainRegister`),
injected by :mod:`liquibond.corporate_actions.runtime`; corporate actions never read the
chain's tables. Entitlements must agree with what the ledger says, so a register that
disagrees holds the event (`held`) rather than pay anybody on either register's word."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from liquibond.platform.errors import ServiceUnavailable

#: Differences listed in an event's reason (all of them go to the audit log).
_SHOWN = 3
_REASON_LENGTH = 500


@dataclass(frozen=True, slots=True)
class RecordRegister:
    """Who held a bond at the close of a record date by a register other than the ledger's,
    as settled at that close (adjusted as the ledger's register is)."""

    #: What was read, for people (e.g. "token 0x... on the embedded chain").
    source: str
    #: The block read; None when the register did not exist yet at the close.
    block: int | None
    #: Each user's units as settled at the close.
    held: Mapping[uuid.UUID, int] = field(default_factory=dict)
    #: Units held by addresses that belong to no user of the venue.
    unattributed: Mapping[str, int] = field(default_factory=dict)
    #: Where the register disagrees with itself (e.g. an indexed history with the chain's own
    #: balances at the block).
    inconsistencies: tuple[str, ...] = ()
    #: Whether every holding was checked against the chain's own state at the block (False:
    #: the node no longer has that state, so it is not cross-checked).
    verified: bool = False
    #: Why the register is unavailable, or not verified.
    note: str = ""


class RegisterNotReady(ServiceUnavailable):
    """503: the register cannot be read at the record date's close yet (e.g. its history is
    not indexed that far): the event is run again later."""


class Register(Protocol):
    """A register of holders kept outside the ledger."""

    async def at_close(
        self, session: AsyncSession, instrument_id: uuid.UUID, record_date: date, close: datetime
    ) -> RecordRegister | None:
        """The bond's holders as settled at `close` (the end of `record_date`), read in
        `session`'s transaction; None if the register does not keep this bond;
        RegisterNotReady if it cannot be read that far yet."""
        ...


@dataclass(frozen=True, slots=True)
class CrossCheck:
    """What comparing the ledger's register with another found: whether holders may be
    entitled, the reason to give on the event, and the facts for its event and the audit."""

    agrees: bool
    reason: str | None = None
    facts: dict[str, Any] = field(default_factory=dict)


def cross_check(
    ledger: Mapping[uuid.UUID, int], other: RecordRegister | None, issuer_id: uuid.UUID
) -> CrossCheck:
    """Compare the ledger's holders at the close (the issuer left out, as it is owed nothing)
    with the other register's: any holder whose units differ, any units held by nobody the
    venue knows and any inconsistency within the other register hold the event."""
    if other is None:
        return CrossCheck(agrees=True)
    facts: dict[str, Any] = {"source": other.source, "block": other.block, "note": other.note}
    if other.block is None:
        facts["verified"] = False
        return CrossCheck(
            True, _clip(f"Not cross-checked with {other.source}: {other.note}"), facts
        )
    ours = {user: units for user, units in ledger.items() if user != issuer_id}
    theirs = {user: units for user, units in other.held.items() if user != issuer_id}
    differences = [
        {"holder": str(user), "ledger": ours.get(user, 0), "register": theirs.get(user, 0)}
        for user in sorted(ours.keys() | theirs.keys())
        if ours.get(user, 0) != theirs.get(user, 0)
    ]
    differences += [
        {"holder": address, "ledger": 0, "register": units}
        for address, units in sorted(other.unattributed.items())
        if units
    ]
    facts.update(
        verified=other.verified,
        holders=sum(1 for units in theirs.values() if units > 0),
        differences=differences,
        inconsistencies=list(other.inconsistencies),
    )
    where = f"{other.source} at block {other.block}"
    if differences or other.inconsistencies:
        found = [
            f"{d['holder']}: ledger {d['ledger']}, register {d['register']}"
            for d in differences[:_SHOWN]
        ] + list(other.inconsistencies[:_SHOWN])
        reason = (
            f"The ledger and {where} disagree ({len(differences)} holders differ, "
            f"{len(other.inconsistencies)} inconsistencies: {'; '.join(found)}): nobody is "
            "entitled until operations reconcile them and run the event again."
        )
        return CrossCheck(False, _clip(reason), facts)
    if other.verified:
        return CrossCheck(True, _clip(f"Cross-checked with {where}: the registers agree."), facts)
    reason = f"Agrees with {where}, but not cross-checked with the chain's state: {other.note}"
    return CrossCheck(True, _clip(reason), facts)


def _clip(text: str) -> str:
    return text if len(text) <= _REASON_LENGTH else text[: _REASON_LENGTH - 1] + "…"

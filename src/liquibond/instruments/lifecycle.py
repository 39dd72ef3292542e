"""The instrument lifecycle as an explicit transition table (pure)."""

from __future__ import annotations

from enum import StrEnum

from liquibond.instruments.models import InstrumentStatus as S


class InstrumentAction(StrEnum):
    """What can happen to an instrument."""

    SUBMIT = "submit"
    APPROVE = "approve"
    REJECT = "reject"
    SUSPEND = "suspend"
    RESUME = "resume"
    MATURE = "mature"
    DELIST = "delist"
    #: Sold by a primary auction: listed at settlement with the coupon the auction set, its
    #: units issued to the winners (not minted to the issuer). Not an API action.
    ISSUE = "issue"


A = InstrumentAction

TRANSITIONS: dict[tuple[S, InstrumentAction], S] = {
    (S.DRAFT, A.SUBMIT): S.PENDING_APPROVAL,
    (S.PENDING_APPROVAL, A.APPROVE): S.LISTED,
    (S.PENDING_APPROVAL, A.REJECT): S.DRAFT,
    (S.PENDING_APPROVAL, A.ISSUE): S.LISTED,
    (S.LISTED, A.SUSPEND): S.SUSPENDED,
    (S.SUSPENDED, A.RESUME): S.LISTED,
    (S.LISTED, A.MATURE): S.MATURED,
    (S.SUSPENDED, A.MATURE): S.MATURED,
    (S.LISTED, A.DELIST): S.DELISTED,
    (S.SUSPENDED, A.DELIST): S.DELISTED,
}

#: Statuses the public (and every investor) can see.
PUBLIC_STATUSES = frozenset({S.LISTED, S.SUSPENDED, S.MATURED, S.DELISTED})


def next_status(current: S, action: InstrumentAction) -> S | None:
    """The status after `action`, or None if the action is not allowed from `current`."""
    return TRANSITIONS.get((current, action))

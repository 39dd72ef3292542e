"""The auction lifecycle as an explicit transition table, and what falls due when (pure).

draft -> announced -> bidding -> closed -> cleared -> settled, or cancelled from any status
before settled. A multi-round auction stays in bidding from one round to the next
(`next_round`). An auction is public once announced, and stays so whatever follows.

The scheduler moves an auction when its time has come (:func:`due_step`): it is announced at
`announce_at`, opens at `opens_at`, closes at `closes_at` (an English auction's, extended by
its soft close; a multi-round auction's, the close of its current round), is cleared as soon
as it is closed, and settles on its settlement date. The issuer or an admin may take any
step earlier, except settlement, which waits for its date.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum


class AuctionStatus(StrEnum):
    """Where an auction is in its life."""

    DRAFT = "draft"
    ANNOUNCED = "announced"
    BIDDING = "bidding"
    CLOSED = "closed"
    CLEARED = "cleared"
    SETTLED = "settled"
    CANCELLED = "cancelled"


class Step(StrEnum):
    """What happens to an auction."""

    ANNOUNCE = "announce"
    OPEN = "open"
    NEXT_ROUND = "next_round"  # a multi-round auction's round closes and the next opens
    CLOSE = "close"
    CLEAR = "clear"
    SETTLE = "settle"
    CANCEL = "cancel"


S = AuctionStatus

TRANSITIONS: dict[tuple[AuctionStatus, Step], AuctionStatus] = {
    (S.DRAFT, Step.ANNOUNCE): S.ANNOUNCED,
    (S.ANNOUNCED, Step.OPEN): S.BIDDING,
    (S.BIDDING, Step.NEXT_ROUND): S.BIDDING,
    (S.BIDDING, Step.CLOSE): S.CLOSED,
    (S.CLOSED, Step.CLEAR): S.CLEARED,
    (S.CLEARED, Step.SETTLE): S.SETTLED,
    (S.DRAFT, Step.CANCEL): S.CANCELLED,
    (S.ANNOUNCED, Step.CANCEL): S.CANCELLED,
    (S.BIDDING, Step.CANCEL): S.CANCELLED,
    (S.CLOSED, Step.CANCEL): S.CANCELLED,
    (S.CLEARED, Step.CANCEL): S.CANCELLED,
}

#: Statuses with something still to happen.
OPEN_STATUSES = frozenset({S.DRAFT, S.ANNOUNCED, S.BIDDING, S.CLOSED, S.CLEARED})
#: Statuses whose results are published.
RESULT_STATUSES = frozenset({S.CLEARED, S.SETTLED})
#: Statuses in which bids are no longer secret (sealed bids are opened at the close).
OPENED_STATUSES = frozenset({S.CLOSED, S.CLEARED, S.SETTLED})


def next_status(current: AuctionStatus, step: Step) -> AuctionStatus | None:
    """The status after `step`, or None if the step is not allowed from `current`."""
    return TRANSITIONS.get((current, step))


def due_step(
    status: AuctionStatus,
    now: datetime,
    today: date,
    *,
    announce_at: datetime,
    opens_at: datetime,
    closes_at: datetime,
    settles_on: date,
) -> Step | None:
    """The step the scheduler takes now (`today` being the market date of `now`), if any.

    A multi-round auction whose round has closed is given CLOSE: the service decides whether
    that ends the auction or opens the next round.
    """
    if status is S.DRAFT and now >= announce_at:
        return Step.ANNOUNCE
    if status is S.ANNOUNCED and now >= opens_at:
        return Step.OPEN
    if status is S.BIDDING and now >= closes_at:
        return Step.CLOSE
    if status is S.CLOSED:
        return Step.CLEAR
    if status is S.CLEARED and today >= settles_on:
        return Step.SETTLE
    return None

"""The RFQ and quote lifecycles as explicit transition tables, and the dealers' outcomes (pure).

An RFQ is open from the request until it is done, expires or is cancelled. Accepting a quote
that carries a last look holds it (`last_look`) until its dealer fills or rejects it, or the
hold times out; a rejection or time-out puts the RFQ back to open (while it has not expired),
so the requester may take another quote. Last look is symmetric: whichever way the market
moved during the hold, the dealer may only fill at the quoted price or reject, within the same
maximum hold, and both the decision and the time held are recorded.

A dealer's quote is live from when it is given until it is replaced by the dealer's next
quote, withdrawn, passes its `valid_until`, is held for a last look, or the RFQ ends.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum


class RfqStatus(StrEnum):
    """Where a request for quote is in its life."""

    OPEN = "open"  # dealers may quote; the requester may accept, counter or cancel
    LAST_LOOK = "last_look"  # an accepted quote waits for its dealer's last look
    DONE = "done"  # traded
    EXPIRED = "expired"  # nothing traded before `expires_at`
    CANCELLED = "cancelled"  # by the requester


class RfqStep(StrEnum):
    """What happens to an RFQ."""

    ACCEPT = "accept"  # a firm quote without last look: the trade is done
    HOLD = "hold"  # a firm quote with last look: its dealer decides
    FILL = "fill"  # the dealer filled on last look
    REJECT = "reject"  # the dealer rejected on last look, or the hold timed out
    EXPIRE = "expire"
    CANCEL = "cancel"


R = RfqStatus

RFQ_TRANSITIONS: Mapping[tuple[RfqStatus, RfqStep], RfqStatus] = {
    (R.OPEN, RfqStep.ACCEPT): R.DONE,
    (R.OPEN, RfqStep.HOLD): R.LAST_LOOK,
    (R.LAST_LOOK, RfqStep.FILL): R.DONE,
    (R.LAST_LOOK, RfqStep.REJECT): R.OPEN,
    (R.OPEN, RfqStep.EXPIRE): R.EXPIRED,
    (R.OPEN, RfqStep.CANCEL): R.CANCELLED,
}

#: Statuses with something still to happen.
LIVE_RFQ_STATUSES = frozenset({R.OPEN, R.LAST_LOOK})


class QuoteStatus(StrEnum):
    """Where one dealer quote is in its life."""

    LIVE = "live"  # may be accepted (if firm) until `valid_until`
    REPLACED = "replaced"  # by the same dealer's next quote
    WITHDRAWN = "withdrawn"  # by its dealer
    EXPIRED = "expired"  # `valid_until` passed
    HELD = "held"  # accepted, waiting for its dealer's last look
    REJECTED = "rejected"  # its dealer rejected it on last look (or let the hold time out)
    FILLED = "filled"  # traded
    CLOSED = "closed"  # the RFQ ended without it trading


class QuoteStep(StrEnum):
    """What happens to a quote."""

    REPLACE = "replace"
    WITHDRAW = "withdraw"
    EXPIRE = "expire"
    HOLD = "hold"
    REJECT = "reject"
    FILL = "fill"
    CLOSE = "close"


Q = QuoteStatus

QUOTE_TRANSITIONS: Mapping[tuple[QuoteStatus, QuoteStep], QuoteStatus] = {
    (Q.LIVE, QuoteStep.REPLACE): Q.REPLACED,
    (Q.LIVE, QuoteStep.WITHDRAW): Q.WITHDRAWN,
    (Q.LIVE, QuoteStep.EXPIRE): Q.EXPIRED,
    (Q.LIVE, QuoteStep.HOLD): Q.HELD,
    (Q.LIVE, QuoteStep.FILL): Q.FILLED,
    (Q.LIVE, QuoteStep.CLOSE): Q.CLOSED,
    (Q.HELD, QuoteStep.FILL): Q.FILLED,
    (Q.HELD, QuoteStep.REJECT): Q.REJECTED,
}


def next_rfq_status(current: RfqStatus, step: RfqStep) -> RfqStatus | None:
    """The RFQ's status after `step`, or None if `step` is not allowed from `current`."""
    return RFQ_TRANSITIONS.get((current, step))


def next_quote_status(current: QuoteStatus, step: QuoteStep) -> QuoteStatus | None:
    """The quote's status after `step`, or None if `step` is not allowed from `current`."""
    return QUOTE_TRANSITIONS.get((current, step))


class Side(StrEnum):
    """The requester's side: buy (dealers offer) or sell (dealers bid)."""

    BUY = "buy"
    SELL = "sell"


class Outcome(StrEnum):
    """What a dealer learns once the RFQ has ended."""

    DONE = "done"  # traded on my quote
    TIED = "tied"  # my last price equalled the traded price, but another dealer's was taken
    COVERED = "covered"  # my last price was the next best after the traded one
    DONE_AWAY = "done_away"  # traded with another dealer, my price (if any) was further off
    EXPIRED = "expired"  # nothing traded before the RFQ expired
    CANCELLED = "cancelled"  # the requester cancelled


@dataclass(frozen=True, slots=True)
class DealerPrice:
    """A dealer's last price on an RFQ (None: never quoted)."""

    dealer: str
    price: Decimal | None


def better(side: Side, a: Decimal, b: Decimal) -> bool:
    """Whether `a` is a better price than `b` for a requester on `side` (a buyer pays less)."""
    return a < b if side is Side.BUY else a > b


def outcomes(
    side: Side, winner: str, traded: Decimal, prices: Sequence[DealerPrice]
) -> dict[str, Outcome]:
    """Each dealer's outcome of a traded RFQ: the winner is done; a dealer whose last price
    equals the traded one is tied; the dealers at the best remaining price cover; everyone
    else (including dealers who never quoted) is done away."""
    others = [p for p in prices if p.dealer != winner]
    remaining = [p.price for p in others if p.price is not None and p.price != traded]
    cover: Decimal | None = None
    for price in remaining:
        if cover is None or better(side, price, cover):
            cover = price
    result = {winner: Outcome.DONE}
    for p in others:
        if p.price is not None and p.price == traded:
            result[p.dealer] = Outcome.TIED
        elif p.price is not None and p.price == cover:
            result[p.dealer] = Outcome.COVERED
        else:
            result[p.dealer] = Outcome.DONE_AWAY
    return result


def cover_price(
    side: Side, winner: str, traded: Decimal, prices: Sequence[DealerPrice]
) -> Decimal | None:
    """The cover: the best price other than the winner's (a tie covers at the traded price)."""
    best: Decimal | None = None
    for p in prices:
        if p.dealer == winner or p.price is None:
            continue
        if best is None or better(side, p.price, best):
            best = p.price
    return best

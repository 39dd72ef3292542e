"""English (open ascending) auction state (pure): one lot to the highest bidder.

The auction opens at ``opens_at`` and closes at ``closes_at``; times are the caller's
integer clock in seconds. The live best bid is shown to everyone. A first bid must be at
least the opening price, every later one at least the best bid plus the minimum increment,
and the leading bidder cannot raise their own bid. **Soft close**: a bid accepted in the
last ``soft_close`` seconds (``closes_at - soft_close <= at < closes_at``) moves the close
``soft_close`` seconds later, so a last-second bid can always be answered. Applying a bid
gives the new state or the reason it was refused; a refused bid changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from enum import StrEnum

from liquibond.auctions.clearing import BidderId


class Refusal(StrEnum):
    """Why a bid in an English auction was refused."""

    NOT_OPEN = "not_open"  # before the opening time
    CLOSED = "closed"  # at or after the (possibly extended) close
    INVALID_PRICE = "invalid_price"  # not a finite positive Decimal
    BELOW_OPENING_PRICE = "below_opening_price"  # a first bid under the opening price
    BELOW_INCREMENT = "below_increment"  # under the best bid plus the minimum increment
    ALREADY_LEADING = "already_leading"  # the best bid is already the bidder's


@dataclass(frozen=True, slots=True)
class LiveBid:
    """The best bid so far, shown to everyone."""

    bidder: BidderId
    price: Decimal
    at: int


@dataclass(frozen=True, slots=True)
class EnglishAuction:
    """The state of an English auction; ``bids`` counts the accepted bids."""

    opens_at: int
    closes_at: int
    opening_price: Decimal
    increment: Decimal
    soft_close: int
    best: LiveBid | None = None
    bids: int = 0

    def __post_init__(self) -> None:
        if self.closes_at <= self.opens_at:
            raise ValueError("the auction must close after it opens")
        if not (self.opening_price.is_finite() and self.opening_price > 0):
            raise ValueError("opening_price must be positive")
        if not (self.increment.is_finite() and self.increment > 0):
            raise ValueError("increment must be positive")
        if self.soft_close < 0:
            raise ValueError("soft_close must not be negative")


def minimum_bid(auction: EnglishAuction) -> Decimal:
    """The lowest price the next bid may offer."""
    best = auction.best
    return auction.opening_price if best is None else best.price + auction.increment


def place_bid(
    auction: EnglishAuction, bidder: BidderId, price: Decimal, at: int
) -> EnglishAuction | Refusal:
    """The auction after ``bidder`` bids ``price`` at time ``at``, or why the bid is refused."""
    if at < auction.opens_at:
        return Refusal.NOT_OPEN
    if at >= auction.closes_at:
        return Refusal.CLOSED
    if not (price.is_finite() and price > 0):
        return Refusal.INVALID_PRICE
    best = auction.best
    if best is not None and best.bidder == bidder:
        return Refusal.ALREADY_LEADING
    if price < minimum_bid(auction):
        return Refusal.BELOW_OPENING_PRICE if best is None else Refusal.BELOW_INCREMENT
    closes_at = auction.closes_at
    if at >= closes_at - auction.soft_close:
        closes_at += auction.soft_close
    return replace(
        auction, closes_at=closes_at, best=LiveBid(bidder, price, at), bids=auction.bids + 1
    )


def winner(auction: EnglishAuction, now: int) -> LiveBid | None:
    """The winning bid once the auction has closed at ``now``; None before, or with no bid."""
    return auction.best if now >= auction.closes_at else None

"""What to quote: a pure function from a fair value, the bond's tick and lots, the quoting
policy and the inventory to a bid and an ask. No I/O, and no float for prices.

* The spread is given in basis points of the fair value or in ticks; it is never less than
  one tick, so the quotes never cross or lock.
* Inventory skew: the position is the inventory less its target. A long position moves the
  centre of the quotes down (sell more readily, buy less), a short one moves it up; at a
  limit the centre has moved by ``skew`` half-spreads.
* Limits: a side whose fill would take the position beyond its limit is sized down to what
  still fits, and stops (``None``) when not even one lot fits. The ask is also never larger
  than what may be sold (no short selling on Liquibond).
* Prices sit on the tick: the bid is rounded down, the ask up (never tighter than asked).
  A bid that would not be positive is not quoted; the ask is at least one tick.
  Sizes are whole lots: at least ``min_lot`` units, then steps of ``lot_increment``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

_BPS = Decimal(10_000)
_TWO = Decimal(2)


@dataclass(frozen=True)
class Lots:
    """How a bond trades: its price tick (clean, per 100) and its lots (units)."""

    tick: Decimal
    min_lot: int
    lot_increment: int

    def __post_init__(self) -> None:
        if self.tick <= 0 or self.min_lot <= 0 or self.lot_increment <= 0:
            raise ValueError("tick, min_lot and lot_increment must be positive")

    def units(self, wanted: int) -> int:
        """The largest whole number of lots not above `wanted` (0 if not even one lot)."""
        if wanted < self.min_lot:
            return 0
        return wanted - (wanted - self.min_lot) % self.lot_increment

    def floor(self, price: Decimal) -> Decimal:
        """`price` rounded down to the tick."""
        return _on_tick(price, self.tick, ROUND_FLOOR)

    def ceil(self, price: Decimal) -> Decimal:
        """`price` rounded up to the tick."""
        return _on_tick(price, self.tick, ROUND_CEILING)

    def on_tick(self, price: Decimal) -> bool:
        """Whether `price` is a whole number of ticks."""
        return price % self.tick == 0


def _on_tick(price: Decimal, tick: Decimal, rounding: str) -> Decimal:
    ticks = (price / tick).to_integral_value(rounding=rounding)
    return (ticks * tick).quantize(tick)


@dataclass(frozen=True)
class Policy:
    """How to quote: the spread (exactly one of ``spread_bps`` and ``spread_ticks``), the size
    of each side in units, the position limits in units either side of the target, and how
    far inventory skews the quotes (in half-spreads at a limit)."""

    size: int
    max_long: int
    max_short: int
    spread_bps: Decimal | None = None
    spread_ticks: int | None = None
    skew: Decimal = Decimal(1)

    def __post_init__(self) -> None:
        if (self.spread_bps is None) == (self.spread_ticks is None):
            raise ValueError("give exactly one of spread_bps and spread_ticks")
        if (self.spread_bps is not None and self.spread_bps < 0) or (
            self.spread_ticks is not None and self.spread_ticks < 0
        ):
            raise ValueError("the spread cannot be negative")
        if self.size <= 0 or self.max_long < 0 or self.max_short < 0 or self.skew < 0:
            raise ValueError("size must be positive; limits and skew not negative")

    def half_spread(self, fair: Decimal, tick: Decimal) -> Decimal:
        """Half the spread, in price."""
        if self.spread_ticks is not None:
            return self.spread_ticks * tick / _TWO
        assert self.spread_bps is not None
        return fair * self.spread_bps / _BPS / _TWO


@dataclass(frozen=True)
class Quote:
    """One side: a clean price on the tick and a quantity in whole lots."""

    price: Decimal
    quantity: int


@dataclass(frozen=True)
class Quotes:
    """The bid and the ask; ``None`` where that side does not quote."""

    bid: Quote | None
    ask: Quote | None


def skew_ratio(position: int, policy: Policy) -> Decimal:
    """The position as a share of its limit, from -1 (at the short limit) to 1 (long)."""
    if position == 0:
        return Decimal(0)
    limit = policy.max_long if position > 0 else policy.max_short
    if limit == 0:
        return Decimal(1 if position > 0 else -1)
    return max(Decimal(-1), min(Decimal(1), Decimal(position) / Decimal(limit)))


def quote(
    fair: Decimal,
    lots: Lots,
    policy: Policy,
    inventory: int,
    *,
    target: int = 0,
    sellable: int | None = None,
) -> Quotes:
    """The bid and ask around `fair` (a clean price) for `inventory` units held against a
    `target`; `sellable` caps the ask (default: the inventory)."""
    if fair <= 0:
        raise ValueError("the fair value must be positive")
    position = inventory - target
    half = policy.half_spread(fair, lots.tick)
    centre = fair - skew_ratio(position, policy) * policy.skew * half
    bid_price = lots.floor(centre - half)
    ask_price = max(lots.ceil(centre + half), bid_price + lots.tick, lots.tick)

    bid_room = policy.max_long - position
    ask_room = min(position + policy.max_short, inventory if sellable is None else sellable)
    bid_units = lots.units(min(policy.size, bid_room))
    ask_units = lots.units(min(policy.size, ask_room))
    return Quotes(
        bid=Quote(bid_price, bid_units) if bid_units > 0 and bid_price > 0 else None,
        ask=Quote(ask_price, ask_units) if ask_units > 0 else None,
    )


def moved(resting: Decimal, target: Decimal, tick: Decimal) -> bool:
    """Whether a resting price is at least one tick away from the target."""
    return abs(resting - target) >= tick

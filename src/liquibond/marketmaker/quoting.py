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

Answering an RFQ (:func:`answer_rfq`) uses the same centre and spread for the one side the
dealer takes (it offers to a requester who buys, bids to one who sells), for the whole size
asked or not at all:

* the price is the book's quote on that side, never through the fair value, on the tick in
  the dealer's favour;
* it declines (no price) an RFQ larger than its size or notional limit, one whose fill could
  take the position (counting its other live quotes) beyond a limit, one it could not deliver
  or pay for, and one in a bond with no positive bid;
* a requester's counter is met when it lies between that price and the dealer's reservation
  price (the centre, never through the fair value); otherwise it quotes its own price again;
* on a last look it fills when its price is still within a tolerance of the fair value then.

The notional of an RFQ is its face value times the price, in minor units; what buying costs
is bounded by the clean price plus a whole year's coupon (accrued interest never exceeds it)
plus the maker fee.

Bidding in an auction bid in price (:func:`auction_bid`): one competitive bid at the fair
value less the whole spread, rounded down to the tick (an allotment is bought to be sold on:
the bid never pays more than the fair value), no higher than the auction's highest price, for
the configured size cut down to the room left under the long limit (counting its other live
buying quotes) and to the cash it has, in multiples of the auction's bid multiple and not
below its minimum bid; it skips the auction (saying why) when that leaves no valid bid.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from enum import StrEnum

_BPS = Decimal(10_000)
_TWO = Decimal(2)
_HUNDRED = Decimal(100)


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


def skewed_centre(fair: Decimal, lots: Lots, policy: Policy, position: int) -> Decimal:
    """The middle of the quotes: the fair value moved against the position (down when long,
    up when short) by up to `skew` half-spreads."""
    half = policy.half_spread(fair, lots.tick)
    return fair - skew_ratio(position, policy) * policy.skew * half


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
    centre = skewed_centre(fair, lots, policy, position)
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


# -- fair value from the market ----------------------------------------------------------------


def best_of_others(
    levels: Sequence[tuple[Decimal, int]], mine: Mapping[Decimal, int]
) -> Decimal | None:
    """The best price on one side of a book (levels best first, as (price, quantity)) once my
    own quantity at each price is left out; None when only mine are there."""
    for price, quantity in levels:
        if quantity > mine.get(price, 0):
            return price
    return None


def market_mid(bid: Decimal | None, ask: Decimal | None) -> Decimal | None:
    """The middle of a two-sided market that is neither locked nor crossed; None otherwise."""
    if bid is None or ask is None or bid <= 0 or bid >= ask:
        return None
    return (bid + ask) / _TWO


# -- answering requests for quotes -------------------------------------------------------------


class Side(StrEnum):
    """A side of a trade (the values the API uses)."""

    BUY = "buy"
    SELL = "sell"

    @property
    def opposite(self) -> Side:
        """The other side."""
        return Side.SELL if self is Side.BUY else Side.BUY


def dealer_side(requester_side: Side) -> Side:
    """The dealer's side of an RFQ: it sells (offers) to a requester who buys, and bids to one
    who sells."""
    return requester_side.opposite


@dataclass(frozen=True)
class Bond:
    """What an RFQ's size is worth: the bond's tick and lots, the face value of one unit
    (minor units), its coupon (percent a year) and the fee a passive side pays (bp)."""

    lots: Lots
    face_value: int
    coupon_rate: Decimal = Decimal(0)
    maker_fee_bps: Decimal = Decimal(0)

    def notional(self, quantity: int, price: Decimal) -> Decimal:
        """The clean consideration of `quantity` units at `price` (per 100), minor units."""
        return quantity * self.face_value * price / _HUNDRED

    def cost_bound(self, quantity: int, price: Decimal) -> Decimal:
        """At least what buying `quantity` units at `price` costs: the clean consideration, a
        whole year's coupon as accrued interest (it never exceeds that) and the fee."""
        gross = quantity * self.face_value * (price + self.coupon_rate) / _HUNDRED
        return gross * (1 + self.maker_fee_bps / _BPS)


@dataclass(frozen=True)
class RfqLimits:
    """The largest RFQ the dealer answers, in units and in notional (minor units of face
    value times price); None: no limit beyond the position limits."""

    max_quantity: int | None = None
    max_notional: int | None = None

    def __post_init__(self) -> None:
        if (self.max_quantity is not None and self.max_quantity <= 0) or (
            self.max_notional is not None and self.max_notional <= 0
        ):
            raise ValueError("RFQ limits must be positive")


@dataclass(frozen=True)
class Account:
    """The dealer in one bond: its inventory and target as for the book (units), the units it
    can deliver and the cash it can pay now (None: not checked), and the units its other live
    quotes in the bond may still buy or sell."""

    inventory: int
    target: int
    sellable: int
    cash: int | None = None
    quoted_buy: int = 0
    quoted_sell: int = 0

    @property
    def position(self) -> int:
        """The inventory less its target."""
        return self.inventory - self.target


class Decline(StrEnum):
    """Why an RFQ is not quoted."""

    SIZE = "size"  # above the RFQ size limit
    NOTIONAL = "notional"  # above the RFQ notional limit
    INVENTORY = "inventory"  # the fill could take the position beyond its limit
    UNITS = "units"  # not enough units to deliver
    CASH = "cash"  # not enough cash to pay
    NO_BID = "no_bid"  # the bid would not be a positive price
    RANGE = "range"  # below the lowest price the auction takes


@dataclass(frozen=True)
class RfqAnswer:
    """The dealer's answer: its side, and its price (None: it declines, saying why);
    `counter_met` when the price is the requester's counter."""

    side: Side
    price: Decimal | None
    declined: Decline | None = None
    counter_met: bool = False


def rfq_price(
    fair: Decimal, lots: Lots, policy: Policy, position: int, side: Side
) -> Decimal | None:
    """The dealer's price on `side`: the book's quote on that side (spread and inventory skew
    around `fair`), never through the fair value, on the tick in the dealer's favour (an
    offer rounded up, a bid down); None for a bid that would not be positive."""
    if fair <= 0:
        raise ValueError("the fair value must be positive")
    half = policy.half_spread(fair, lots.tick)
    centre = skewed_centre(fair, lots, policy, position)
    if side is Side.SELL:
        return max(lots.ceil(centre + half), lots.ceil(fair), lots.tick)
    bid = min(lots.floor(centre - half), lots.floor(fair))
    return bid if bid > 0 else None


def reservation_price(
    fair: Decimal, lots: Lots, policy: Policy, position: int, side: Side
) -> Decimal:
    """The worst price the dealer still trades at on `side`: the middle of its quotes (the
    fair value moved by the inventory skew), never through the fair value."""
    centre = skewed_centre(fair, lots, policy, position)
    return max(centre, fair) if side is Side.SELL else min(centre, fair)


def answer_rfq(
    fair: Decimal,
    bond: Bond,
    policy: Policy,
    limits: RfqLimits,
    account: Account,
    requester_side: Side,
    quantity: int,
    *,
    counter: Decimal | None = None,
) -> RfqAnswer:
    """What to quote a requester on `requester_side` for `quantity` units (all or nothing),
    given the dealer's `account` in the bond and, if the requester countered, its `counter`."""
    side = dealer_side(requester_side)

    def decline(reason: Decline) -> RfqAnswer:
        return RfqAnswer(side, None, reason)

    if limits.max_quantity is not None and quantity > limits.max_quantity:
        return decline(Decline.SIZE)
    position = account.position
    if side is Side.BUY and position + account.quoted_buy + quantity > policy.max_long:
        return decline(Decline.INVENTORY)
    if side is Side.SELL:
        if position - account.quoted_sell - quantity < -policy.max_short:
            return decline(Decline.INVENTORY)
        if account.quoted_sell + quantity > account.sellable:
            return decline(Decline.UNITS)
    own = rfq_price(fair, bond.lots, policy, position, side)
    if own is None:
        return decline(Decline.NO_BID)
    price, met = own, False
    if counter is not None and counter > 0 and bond.lots.on_tick(counter):
        reserve = reservation_price(fair, bond.lots, policy, position, side)
        # Met between the reservation price and its own (a counter past its own price asks
        # for worse than it quotes: it quotes its own).
        met = reserve <= counter < own if side is Side.SELL else own < counter <= reserve
        price = counter if met else own
    if limits.max_notional is not None and bond.notional(quantity, price) > limits.max_notional:
        return decline(Decline.NOTIONAL)
    buying = side is Side.BUY
    if buying and account.cash is not None and bond.cost_bound(quantity, price) > account.cash:
        return decline(Decline.CASH)
    return RfqAnswer(side, price, counter_met=met)


def last_look_fills(side: Side, price: Decimal, fair: Decimal, tolerance_bps: Decimal) -> bool:
    """Whether to fill a quote held for the dealer's last look: its price is still within
    `tolerance_bps` of the fair value now (an offer not below it less the tolerance, a bid
    not above it plus the tolerance)."""
    slack = fair * tolerance_bps / _BPS
    return price >= fair - slack if side is Side.SELL else price <= fair + slack


# -- bidding in auctions -----------------------------------------------------------------------


@dataclass(frozen=True)
class AuctionRules:
    """What a bid in an auction bid in price must keep: its quantity at least ``min_bid`` and
    a multiple of ``bid_multiple`` (units); its price within the auction's range, if any."""

    min_bid: int
    bid_multiple: int
    min_price: Decimal | None = None
    max_price: Decimal | None = None

    def __post_init__(self) -> None:
        if self.min_bid <= 0 or self.bid_multiple <= 0:
            raise ValueError("min_bid and bid_multiple must be positive")


def auction_bid(
    fair: Decimal,
    bond: Bond,
    policy: Policy,
    rules: AuctionRules,
    account: Account,
    size: int,
) -> Quote | Decline:
    """The competitive bid to place in an auction of `bond` for up to `size` units: the fair
    value less the spread on the tick (never above the fair value or the auction's highest
    price), sized to the long limit (less the position and my other live buying quotes), the
    cash and the auction's rules; or why there is none."""
    if fair <= 0:
        raise ValueError("the fair value must be positive")
    lots = bond.lots
    price = lots.floor(fair - 2 * policy.half_spread(fair, lots.tick))
    if rules.max_price is not None:
        price = min(price, lots.floor(rules.max_price))
    if price <= 0:
        return Decline.NO_BID
    if rules.min_price is not None and price < rules.min_price:
        return Decline.RANGE
    caps = [
        (size, Decline.SIZE),
        (policy.max_long - account.position - account.quoted_buy, Decline.INVENTORY),
    ]
    if account.cash is not None:
        caps.append((int(account.cash / bond.cost_bound(1, price)), Decline.CASH))
    wanted, limited_by = min(caps, key=lambda cap: cap[0])
    quantity = max(0, wanted) // rules.bid_multiple * rules.bid_multiple
    if quantity < rules.min_bid:
        return limited_by
    return Quote(price, quantity)

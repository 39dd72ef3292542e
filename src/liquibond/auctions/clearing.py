"""Sealed-bid primary auction clearing (pure): uniform or multiple price, bid in price or yield.

**Formats.** UNIFORM: every successful bidder pays the cut-off. MULTIPLE (discriminatory):
each competitive bid pays its own quote, non-competitive bids the weighted average of the
accepted competitive quotes, rounded half-even to ``average_places`` (4 by default).

**Basis.** A re-issue is bid in PRICE per 100 of face (highest first); a new issue in YIELD
(lowest first), and the cut-off yield becomes its coupon. Clearing is the same either way:
only the ranking flips, and "paying the cut-off" means paying the lowest accepted price or
the highest accepted yield. Converting a yield into cash (bond maths) is the service's job.

**Quantities** are integer units of face value; quotes are ``Decimal``. Nothing is a float.

**Hybrid** = competitive + non-competitive, in one call. Non-competitive bids (no quote) are
served first, out of a reserve of ``non_competitive_share`` of the offering, each investor's
total capped at ``non_competitive_max``. If they ask for more than the reserve they are
pro-rated (rounded by the auction's rule); what they leave unused, rounding leftovers
included, goes to the competitive part, which gets ``offering - non-competitive allotted``.

**Caps.** With ``bidder_cap_share`` a bidder's competitive bids are recognised up to that
share of the offering less the net long position the bidder reports (``positions``; a short
one counts as none), rounded down to the lot. The bidder's best-ranked bids are kept first
and the rest cut, so the cap may cut a bid at the margin, which is then pro-rated on what
is left of it. The cap is on competitive bids only; non-competitive ones have their maximum.

**Clearing.** Competitive bids are ranked by quote, best first; a *tier* is all bids at one
quote. Tiers are filled in turn until the competitive amount runs out; the tier where it
runs out (the *marginal* tier) is pro-rated: each of its bids gets ``accepted / tier`` of
its recognised quantity. The award uses that exact ratio (a ``Fraction``); the published
partial allotment is the ratio in percent rounded UP to the next 0.01, as the US Treasury
publishes it. Every entitlement, full or pro-rated, is then rounded to a multiple of the lot
(the non-competitive and the competitive bids each as one pool):

- UP: to the multiple above (US Treasury awards); the total may exceed the offering.
- DOWN: to the multiple below (RBI allotments); the total never exceeds the offering.
- LARGEST_REMAINDER: floors, then one more lot each to the largest fractional remainders
  until the exact total (rounded down to the lot) is met. Equal remainders go to the earlier
  bid (``ts``), then to the lower bid id.

If demand does not cover the competitive amount, every recognised bid is filled and the
cut-off is the worst accepted quote (undersubscription). If no competitive bid is accepted
there is no price: nothing is allotted, non-competitive bids included, and ``cut_off`` is None.

**Results.** The weighted average is of the accepted competitive quotes weighted by the
accepted amounts before lot rounding (so it does not depend on the rounding rule); the
bid-to-cover ratio is everything bid (competitive and non-competitive, before caps) over
the offering, to 2 decimals half-even. Awards come in a canonical order whatever the order
of the input: non-competitive bids by time then id, then competitive bids by rank.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import (
    MAX_EMAX,
    MAX_PREC,
    MIN_EMIN,
    Context,
    Decimal,
    DivisionByZero,
    Inexact,
    InvalidOperation,
    Overflow,
    localcontext,
)
from enum import StrEnum
from fractions import Fraction
from itertools import pairwise
from math import ceil, floor
from operator import attrgetter
from types import MappingProxyType
from typing import NewType, cast

BidId = NewType("BidId", int)
"""Caller-assigned bid id, unique within an auction; the last tie-break."""

BidderId = NewType("BidderId", int)
"""The investor behind a bid: caps and the non-competitive maximum are per bidder."""


class Pricing(StrEnum):
    """What a successful bidder pays."""

    UNIFORM = "uniform"  # everyone pays the cut-off
    MULTIPLE = "multiple"  # discriminatory: each competitive bid pays its own quote


class Basis(StrEnum):
    """What a bid quotes, and so which bids rank first."""

    PRICE = "price"  # per 100 of face, a re-issue: highest price first
    YIELD = "yield"  # a new issue: lowest yield first; the cut-off yield sets the coupon


class Rounding(StrEnum):
    """How an entitlement is rounded to a multiple of the lot."""

    UP = "up"  # the multiple above (US Treasury): the total may exceed the offering
    DOWN = "down"  # the multiple below (RBI): the total stays at or below the offering
    LARGEST_REMAINDER = "largest_remainder"  # the exact total, extra lots to the largest remainders


@dataclass(frozen=True, slots=True)
class Bid:
    """A sealed bid for ``quantity`` units of face at ``quote`` (a price or a yield, per the
    auction's basis); without a quote it is non-competitive. ``ts`` is the caller's time of
    the bid (any monotonic integer), used only to break ties."""

    bid_id: BidId
    bidder: BidderId
    quantity: int
    quote: Decimal | None = None
    ts: int = 0

    def __post_init__(self) -> None:
        if type(self.quantity) is not int or self.quantity <= 0:
            raise ValueError(f"bid {self.bid_id}: quantity must be a positive int")
        if self.quote is not None and not (type(self.quote) is Decimal and self.quote.is_finite()):
            raise ValueError(f"bid {self.bid_id}: quote must be a finite Decimal or None")


@dataclass(frozen=True, slots=True)
class AuctionRules:
    """How an auction clears (see the module docstring).

    - ``offering``: the notified amount in units of face, a multiple of ``lot``.
    - ``lot``: every award is a multiple of it.
    - ``non_competitive_share``: the non-competitive reserve as a share of the offering
      (rounded down to the lot); ``non_competitive_max``: each investor's non-competitive
      maximum (rounded down to the lot), None for no maximum.
    - ``bidder_cap_share``: a bidder's competitive maximum as a share of the offering, less
      the bidder's reported position; None for no cap.
    - ``average_places``: decimals of the published weighted average (half-even).
    """

    offering: int
    pricing: Pricing = Pricing.UNIFORM
    basis: Basis = Basis.PRICE
    lot: int = 1
    rounding: Rounding = Rounding.LARGEST_REMAINDER
    non_competitive_share: Decimal = Decimal(0)
    non_competitive_max: int | None = None
    bidder_cap_share: Decimal | None = None
    average_places: int = 4

    def __post_init__(self) -> None:
        if not (type(self.lot) is int and self.lot > 0):
            raise ValueError("lot must be a positive int")
        if not (type(self.offering) is int and self.offering > 0 and self.offering % self.lot == 0):
            raise ValueError("offering must be a positive multiple of the lot")
        if not Decimal(0) <= self.non_competitive_share <= 1:
            raise ValueError("non_competitive_share must be between 0 and 1")
        if self.non_competitive_max is not None and self.non_competitive_max <= 0:
            raise ValueError("non_competitive_max must be positive")
        if self.bidder_cap_share is not None and not Decimal(0) < self.bidder_cap_share <= 1:
            raise ValueError("bidder_cap_share must be above 0 and at most 1")
        if self.average_places < 0:
            raise ValueError("average_places must not be negative")


@dataclass(frozen=True, slots=True)
class Award:
    """What one bid gets.

    ``recognised`` is the quantity left after the bidder cap (or the non-competitive
    maximum); ``quote`` is the price or yield paid, None when nothing is awarded;
    ``pro_rata`` is the exact ratio applied to ``recognised`` when the bid's pool was
    pro-rated (the marginal tier, or an oversubscribed non-competitive reserve).
    """

    bid_id: BidId
    bidder: BidderId
    requested: int
    recognised: int
    quantity: int
    quote: Decimal | None
    pro_rata: Fraction | None


@dataclass(frozen=True, slots=True)
class AuctionResult:
    """The outcome of a clearing: the published figures and every bid's award.

    ``cut_off``, ``weighted_average`` and ``partial_allotment`` (percent at the cut-off,
    2 decimals rounded up; 100.00 when the marginal tier is filled) are None when there
    is no price. ``undersubscribed``: competitive demand fell short of the competitive amount.
    """

    basis: Basis
    cut_off: Decimal | None
    weighted_average: Decimal | None
    partial_allotment: Decimal | None
    bid_to_cover: Decimal
    total_bid: int
    total_allotted: int
    competitive_allotted: int
    non_competitive_allotted: int
    undersubscribed: bool
    awards: tuple[Award, ...]


# Decimal arithmetic that raises instead of rounding (sums of quote x quantity stay exact).
_EXACT = Context(
    prec=MAX_PREC,
    Emax=MAX_EMAX,
    Emin=MIN_EMIN,
    traps=[Inexact, InvalidOperation, DivisionByZero, Overflow],
)
_ARRIVAL = attrgetter("ts", "bid_id")
_ID = attrgetter("bid_id")
_BIDDER = attrgetter("bidder")
_QUANTITY = attrgetter("quantity")
_NO_POSITIONS: Mapping[BidderId, int] = MappingProxyType({})
_HUNDRED_PERCENT = Decimal("100.00")


def clear(
    rules: AuctionRules,
    bids: Iterable[Bid],
    positions: Mapping[BidderId, int] = _NO_POSITIONS,
) -> AuctionResult:
    """Clear a sealed-bid auction: non-competitive bids first, then competitive ones by rank."""
    lot = rules.lot
    non_competitive, ranked, bounds = _rank(bids, rules.basis)
    ids = set(map(_ID, ranked))
    ids.update(map(_ID, non_competitive))
    if len(ids) != len(ranked) + len(non_competitive):
        raise ValueError("bid ids must be unique")
    total_bid = sum(map(_QUANTITY, ranked)) + sum(map(_QUANTITY, non_competitive))

    # Non-competitive: within each investor's maximum, pro-rated if over the reserve.
    if rules.non_competitive_max is None:
        nc_recognised = [b.quantity for b in non_competitive]
    else:
        nc_max = _down(rules.non_competitive_max, lot)
        nc_recognised = _within(non_competitive, lambda _: nc_max)
    reserve = _down(floor(Fraction(rules.non_competitive_share) * rules.offering), lot)
    nc_demand = sum(nc_recognised)
    if nc_demand <= reserve:
        nc_ratio = None
        nc_awarded = _round(non_competitive, nc_recognised, [], 1, 1, lot, rules.rounding)
    else:
        nc_ratio = Fraction(reserve, nc_demand)
        nc_awarded = _round(
            non_competitive, [], nc_recognised, reserve, nc_demand, lot, rules.rounding
        )
    amount = max(rules.offering - sum(nc_awarded), 0)

    # Competitive: within the bidder caps, filled tier by tier; the last one is pro-rated.
    if rules.bidder_cap_share is None:
        recognised = [b.quantity for b in ranked]
    else:
        cap = floor(Fraction(rules.bidder_cap_share) * rules.offering)
        recognised = _within(
            ranked, lambda bidder: _down(max(cap - max(positions.get(bidder, 0), 0), 0), lot)
        )
    filled = 0
    value = Decimal(0)
    cut_off: Decimal | None = None
    ratio: Fraction | None = None
    marginal = range(0)  # the pro-rated tier; ranked[:marginal.start] is filled in full
    with localcontext(_EXACT):
        for start, stop in pairwise(bounds):
            if filled == amount:
                break
            marginal = range(stop, stop)
            tier_quantity = sum(recognised[start:stop])
            if filled + tier_quantity <= amount:
                accepted = tier_quantity
            else:
                accepted = amount - filled
                ratio = Fraction(accepted, tier_quantity)
                marginal = range(start, stop)
            if accepted:
                cut_off = cast(Decimal, ranked[start].quote)  # the earliest bid's spelling
                value += cut_off * accepted
                filled += accepted

    if cut_off is None:  # no price: nothing is allotted
        nc_ratio = None
        nc_awarded = [0] * len(non_competitive)
        awarded: list[int] = []
        average = None
    else:
        full, part = recognised[: marginal.start], recognised[marginal.start : marginal.stop]
        at_margin = filled - sum(full)
        awarded = _round(ranked, full, part, at_margin, sum(part) or 1, lot, rules.rounding)
        places = rules.average_places
        average = _decimal(round(Fraction(value) * 10**places / filled), places)
    uniform = rules.pricing is Pricing.UNIFORM
    nc_quote = cut_off if uniform else average
    awards = [
        Award(b.bid_id, b.bidder, b.quantity, r, q, nc_quote if q else None, nc_ratio)
        for b, r, q in zip(non_competitive, nc_recognised, nc_awarded, strict=True)
    ]
    awarded += [0] * (len(ranked) - len(awarded))  # the bids below the cut-off
    if uniform:
        paid = [cut_off if q else None for q in awarded]
    else:
        paid = [b.quote if q else None for b, q in zip(ranked, awarded, strict=True)]
    pro_rata: list[Fraction | None] = [None] * len(ranked)
    pro_rata[marginal.start : marginal.stop] = [ratio] * len(marginal)
    awards += map(
        Award,
        map(_ID, ranked),
        map(_BIDDER, ranked),
        map(_QUANTITY, ranked),
        recognised,
        awarded,
        paid,
        pro_rata,
    )
    if cut_off is None:
        partial = None
    else:
        partial = _HUNDRED_PERCENT if ratio is None else _decimal(ceil(ratio * 10_000), 2)
    competitive_allotted = sum(awarded)
    nc_allotted = sum(nc_awarded)
    return AuctionResult(
        basis=rules.basis,
        cut_off=cut_off,
        weighted_average=average,
        partial_allotment=partial,
        bid_to_cover=_decimal(round(Fraction(total_bid * 100, rules.offering)), 2),
        total_bid=total_bid,
        total_allotted=competitive_allotted + nc_allotted,
        competitive_allotted=competitive_allotted,
        non_competitive_allotted=nc_allotted,
        undersubscribed=filled < amount,
        awards=tuple(awards),
    )


def _rank(bids: Iterable[Bid], basis: Basis) -> tuple[list[Bid], list[Bid], list[int]]:
    """The non-competitive bids by time then id; the competitive ones by quote (best first),
    time and id; and the tiers' bounds: tier k is ``ranked[bounds[k]:bounds[k + 1]]``."""
    non_competitive: list[Bid] = []
    tiers: dict[Decimal, list[Bid]] = {}
    for bid in bids:
        quote = bid.quote
        if quote is None:
            non_competitive.append(bid)
        elif (tier := tiers.get(quote)) is None:
            tiers[quote] = [bid]
        else:
            tier.append(bid)
    non_competitive.sort(key=_ARRIVAL)
    ranked: list[Bid] = []
    bounds = [0]
    for quote in sorted(tiers, reverse=basis is Basis.PRICE):
        tier = tiers[quote]
        tier.sort(key=_ARRIVAL)
        ranked += tier
        bounds.append(len(ranked))
    return non_competitive, ranked, bounds


def _round(
    bids: list[Bid], full: list[int], part: list[int], num: int, den: int, lot: int, rule: Rounding
) -> list[int]:
    """Awards to ``bids[:len(full) + len(part)]``: the ``full`` quantities, then the ``part``
    ones times ``num / den``, rounded to multiples of ``lot`` by ``rule``. LARGEST_REMAINDER
    meets the exact total (an integer) rounded down to the lot."""
    step = den * lot
    if rule is Rounding.UP:
        return [-(-q // lot) * lot for q in full] + [-(-q * num // step) * lot for q in part]
    awards = [q // lot * lot for q in full] + [q * num // step * lot for q in part]
    if rule is Rounding.DOWN:
        return awards
    extra = (sum(full) + sum(part) * num // den - sum(awards)) // lot
    if extra:
        n = len(full)
        remainders = [
            (-Fraction(rest), bids[k].ts, bids[k].bid_id, k)
            for k, q in enumerate(full)
            if (rest := q % lot)
        ]
        remainders += [
            (-Fraction(rest, den), bids[k].ts, bids[k].bid_id, k)
            for k, q in enumerate(part, n)
            if (rest := q * num % step)
        ]
        remainders.sort()
        for *_, k in remainders[:extra]:
            awards[k] += lot
    return awards


def _within(bids: list[Bid], room: Callable[[BidderId], int]) -> list[int]:
    """Each bid's quantity within its bidder's ``room``, the bids served in list order."""
    left = {bidder: room(bidder) for bidder in set(map(_BIDDER, bids))}
    recognised = []
    for bid in bids:
        bidder, quantity = bid.bidder, bid.quantity
        free = left[bidder]
        if quantity < free:
            left[bidder] = free - quantity
            recognised.append(quantity)
        else:
            left[bidder] = 0
            recognised.append(free)
    return recognised


def _down(quantity: int, lot: int) -> int:
    """``quantity`` rounded down to a multiple of ``lot``."""
    return quantity // lot * lot


def _decimal(units: int, places: int) -> Decimal:
    """``units * 10**-places`` as a Decimal with exactly ``places`` decimals."""
    return Decimal(units).scaleb(-places, _EXACT)

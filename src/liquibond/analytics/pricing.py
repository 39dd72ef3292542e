"""Price, yield and risk of fixed-coupon bonds, for arrays of bonds and for one bond.

Prices are per 100 of face. A yield ``y`` discounts a flow ``t`` coupon periods away by
``1 / ((1 + s*y/f) * (1 + y/f) ** (t - s))`` where ``f`` is the coupon frequency and ``s``
the bond's simple-interest span (see :class:`~liquibond.analytics.bond.YieldConvention`).
Durations and convexity are analytic derivatives of that price:

* modified duration ``-P'/P``; convexity ``P''/P``; DV01 ``-P' / 10_000`` (per 100 face);
* Macaulay duration ``sum(t/f * PV) / P`` in years (equal to modified duration times
  ``1 + y/f`` when compounding throughout).

The array functions (``price_from_yield``, ``yield_from_price``, ``risk``,
``key_rate_durations``) are the implementation; the ``bond_*`` functions run them on one
bond, so both paths give identical results.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Generic, TypeVar

import numpy as np

from liquibond.analytics._dates import Floats, Ints, group_sum, segment_sum
from liquibond.analytics.bond import BondTerms, one_bond
from liquibond.analytics.errors import InvalidCurve, NoConvergence, NonPositivePrice
from liquibond.analytics.flows import Cashflows, cashflows
from liquibond.analytics.solver import solve_decreasing

__all__ = [
    "DEFAULT_KEY_TENORS",
    "Quote",
    "Risk",
    "accrued_interest",
    "bond_key_rate_durations",
    "bond_price",
    "bond_risk",
    "bond_yield",
    "key_rate_durations",
    "price_from_yield",
    "risk",
    "tent_weights",
    "yield_from_price",
]

T = TypeVar("T", float, Floats)

DEFAULT_KEY_TENORS: tuple[float, ...] = (0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 7.0, 10.0, 15.0, 20.0, 30.0)


@dataclass(frozen=True, slots=True)
class Quote(Generic[T]):
    """Yield and prices (per 100 of face) of one bond or of many."""

    yield_: T
    clean: T
    dirty: T
    accrued: T


@dataclass(frozen=True, slots=True)
class Risk(Generic[T]):
    """Yield risk measures at a yield: durations in years, DV01 per 100 of face."""

    dirty: T
    macaulay: T
    modified: T
    convexity: T
    dv01: T


@dataclass(frozen=True, slots=True)
class _Legs:
    """The flows of a subset of bonds (``local`` numbers the bonds ``0 .. size-1``)."""

    local: Ints
    starts: Ints
    size: int
    amount: Floats
    periods: Floats
    compounded: Floats
    """Periods discounted at compound interest: ``periods - simple_periods``."""
    frequency: Floats
    simple: Floats


def _legs(cf: Cashflows, bonds: Ints) -> _Legs:
    if len(bonds) == cf.size:
        return _all(cf)
    chosen = (np.append(cf.starts[1:], len(cf.bond)) - cf.starts)[bonds]
    local = np.repeat(np.arange(len(bonds)), chosen)
    first = np.cumsum(chosen) - chosen
    flows = np.repeat(cf.starts[bonds] - first, chosen) + np.arange(len(local))
    simple = cf.simple_periods[bonds]
    return _Legs(
        local,
        first,
        len(bonds),
        cf.amount[flows],
        cf.periods[flows],
        cf.periods[flows] - simple[local],
        cf.frequency[bonds],
        simple,
    )


def _all(cf: Cashflows) -> _Legs:
    return _Legs(
        cf.bond,
        cf.starts,
        cf.size,
        cf.amount,
        cf.periods,
        cf.periods - cf.simple_periods[cf.bond],
        cf.frequency,
        cf.simple_periods,
    )


@dataclass(frozen=True, slots=True)
class _Valuation:
    """Present values of the flows at a yield, and per-bond factors of their derivatives.

    ``d log(pv) / dy = -(simple_slope + compound_slope * compounded)``.
    """

    pv: Floats
    price: Floats
    simple_slope: Floats
    compound_slope: Floats


def _value(legs: _Legs, yields: Floats) -> _Valuation:
    rate = yields / legs.frequency
    simple = 1.0 + legs.simple * rate
    pv = legs.amount * np.exp(-legs.compounded * np.log1p(rate)[legs.local]) / simple[legs.local]
    return _Valuation(
        pv,
        _sum(legs, pv),
        legs.simple / legs.frequency / simple,
        1.0 / (legs.frequency * (1.0 + rate)),
    )


def _slope(legs: _Legs, v: _Valuation) -> Floats:
    """dP/dy per bond."""
    return -v.simple_slope * v.price - v.compound_slope * _sum(legs, v.pv * legs.compounded)


def _sum(legs: _Legs, values: Floats) -> Floats:
    return segment_sum(values, legs.starts)


def price_from_yield(cf: Cashflows, yields: Floats | float) -> Quote[Floats]:
    """Clean and dirty prices of each bond at its yield."""
    y = np.broadcast_to(np.asarray(yields, dtype=np.float64), (cf.size,)).copy()
    dirty = _value(_all(cf), y).price
    return Quote(yield_=y, clean=dirty - cf.accrued, dirty=dirty, accrued=cf.accrued)


def yield_from_price(
    cf: Cashflows, clean_prices: Floats | float, *, tolerance: float = 1e-12
) -> Floats:
    """Yield of each bond at its clean price (Newton with bisection fallback, to ``tolerance``)."""
    clean = np.broadcast_to(np.asarray(clean_prices, dtype=np.float64), (cf.size,))
    if not (clean > 0).all():
        raise NonPositivePrice(
            "clean price must be positive", field="clean_price", index=int(np.argmin(clean > 0))
        )
    dirty = clean + cf.accrued
    if not (dirty > 0).all():
        raise NonPositivePrice(
            "dirty price must be positive", field="clean_price", index=int(np.argmin(dirty > 0))
        )
    last = np.append(cf.starts[1:], len(cf.bond)) - 1
    final, longest = cf.amount[last], cf.periods[last]
    if not (longest > 0).all():
        raise NoConvergence(
            "price does not depend on the yield",
            field="clean_price",
            index=int(np.argmin(longest > 0)),
        )
    # the textbook approximation: income plus pull to redemption, over the average price
    years = longest / cf.frequency
    income = (segment_sum(cf.amount, cf.starts) - dirty) / years
    f = cf.frequency
    lower = -f / np.maximum(1.0, cf.simple_periods) * (1.0 - 1e-12)
    guess = np.clip(income / (0.5 * (dirty + final)), lower / 2, 10.0)

    def evaluate(y: Floats, bonds: Ints) -> tuple[Floats, Floats]:
        legs = _legs(cf, bonds)
        valuation = _value(legs, y)
        return valuation.price, _slope(legs, valuation)

    return solve_decreasing(
        evaluate, dirty, guess, lower, np.full(cf.size, 1e3), tolerance=tolerance, what="yield"
    )


def risk(cf: Cashflows, yields: Floats | float) -> Risk[Floats]:
    """Durations, convexity and DV01 of each bond at its yield (analytic)."""
    y = np.broadcast_to(np.asarray(yields, dtype=np.float64), (cf.size,))
    legs = _all(cf)
    v = _value(legs, y)
    a, b, e = v.simple_slope, v.compound_slope, legs.compounded
    first = _slope(legs, v)
    # d2(pv)/dy2 = pv * (g**2 + dg/dy) with g = -(a + b*e): 2a**2 + 2ab*e + b**2*(e**2 + e)
    second = (
        2 * a * a * v.price
        + 2 * a * b * _sum(legs, v.pv * e)
        + b * b * _sum(legs, v.pv * (e * e + e))
    )
    return Risk(
        dirty=v.price,
        macaulay=_sum(legs, v.pv * legs.periods) / legs.frequency / v.price,
        modified=-first / v.price,
        convexity=second / v.price,
        dv01=-first * 1e-4,
    )


def tent_weights(times: Floats, tenors: Sequence[float]) -> tuple[Ints, Ints, Floats]:
    """Linear key-rate tents: each time's lower and upper key tenor and the upper's weight.

    Tents are flat beyond the first and last tenor and sum to one at every time.
    """
    keys = np.asarray(tenors, dtype=np.float64)
    if keys.size < 2 or not (np.diff(keys) > 0).all():
        raise InvalidCurve("key tenors must be at least two increasing times", field="tenors")
    upper = np.clip(np.searchsorted(keys, times, side="right"), 1, keys.size - 1)
    lower = upper - 1
    weight = np.clip((times - keys[lower]) / (keys[upper] - keys[lower]), 0.0, 1.0)
    return lower, upper, weight


def spread_over_keys(
    owner: Ints, size: int, sensitivity: Floats, times: Floats, tenors: Sequence[float]
) -> Floats:
    """Per-owner sums of flow sensitivities split across key tenors (``size`` x tenors)."""
    lower, upper, weight = tent_weights(times, tenors)
    m = len(tenors)
    out = group_sum(owner * m + lower, sensitivity * (1.0 - weight), size * m)
    out += group_sum(owner * m + upper, sensitivity * weight, size * m)
    return out.reshape(size, m)


def key_rate_durations(
    cf: Cashflows, yields: Floats | float, tenors: Sequence[float] = DEFAULT_KEY_TENORS
) -> Floats:
    """Key-rate durations on the yield, shape ``(bonds, tenors)``.

    Each bond's modified duration split by key tenor, each flow's share going to the tents
    around its time; a row sums to the modified duration.
    """
    y = np.broadcast_to(np.asarray(yields, dtype=np.float64), (cf.size,))
    legs = _all(cf)
    v = _value(legs, y)
    sensitivity = v.pv * (
        v.simple_slope[legs.local] + v.compound_slope[legs.local] * legs.compounded
    )
    times = legs.periods / legs.frequency[legs.local]
    return spread_over_keys(legs.local, cf.size, sensitivity, times, tenors) / v.price[:, None]


def _one(terms: BondTerms, settlement: date) -> Cashflows:
    return cashflows(one_bond(terms), settlement)


def accrued_interest(terms: BondTerms, settlement: date) -> float:
    """Accrued interest per 100 of face at settlement (negative when trading ex-coupon)."""
    return float(_one(terms, settlement).accrued[0])


def bond_price(terms: BondTerms, settlement: date, yield_: float) -> Quote[float]:
    """Clean and dirty price per 100 of face of one bond at a yield."""
    quote = price_from_yield(_one(terms, settlement), yield_)
    return Quote(
        float(quote.yield_[0]),
        float(quote.clean[0]),
        float(quote.dirty[0]),
        float(quote.accrued[0]),
    )


def bond_yield(terms: BondTerms, settlement: date, clean_price: float) -> float:
    """Yield of one bond at a clean price per 100 of face."""
    return float(yield_from_price(_one(terms, settlement), clean_price)[0])


def bond_risk(terms: BondTerms, settlement: date, yield_: float) -> Risk[float]:
    """Durations, convexity and DV01 of one bond at a yield."""
    r = risk(_one(terms, settlement), yield_)
    return Risk(
        float(r.dirty[0]),
        float(r.macaulay[0]),
        float(r.modified[0]),
        float(r.convexity[0]),
        float(r.dv01[0]),
    )


def bond_key_rate_durations(
    terms: BondTerms, settlement: date, yield_: float, tenors: Sequence[float] = DEFAULT_KEY_TENORS
) -> Floats:
    """Key-rate durations of one bond, one per key tenor."""
    krd: Floats = key_rate_durations(_one(terms, settlement), yield_, tenors)[0]
    return krd

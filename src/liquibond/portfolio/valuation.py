"""Marks and position figures (pure): market value, accrued interest, yield, duration, DV01.

Money is exact: a clean value is `units * face * price / 100` and accrued interest
`units * face * coupon * accrued fraction`, each computed as an exact rational and rounded
once, half to even, to the currency's scale; the dirty value is their sum, so the parts always
add up. Yield, duration and DV01 are analytics figures (floats).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from enum import StrEnum
from fractions import Fraction

from liquibond.analytics import (
    AnalyticsError,
    BondTerms,
    accrued_fraction,
    bond_risk,
    bond_yield,
    to_minor_units,
)

#: Decimals of a clean price per 100 (the instruments' price scale).
PRICE_DECIMALS = Decimal("0.000001")


class MarkSource(StrEnum):
    """Where a mark comes from, best first."""

    LAST_TRADE = "last_trade"
    CURVE = "curve"


@dataclass(frozen=True, slots=True)
class Mark:
    """A clean price per 100 of face and its source."""

    price: Decimal
    source: MarkSource


def choose_mark(last_trade: Decimal | None, curve_price: float | None) -> Mark | None:
    """The last trade's price, else the reference curve's fair value, else no mark."""
    if last_trade is not None:
        return Mark(last_trade, MarkSource.LAST_TRADE)
    if curve_price is not None and curve_price > 0:
        return Mark(Decimal(repr(curve_price)).quantize(PRICE_DECIMALS), MarkSource.CURVE)
    return None


@dataclass(frozen=True, slots=True)
class Figures:
    """A position valued at a mark, for settlement on `settles`; money in minor units."""

    settles: date
    clean: int
    accrued: int
    yield_percent: float | None
    modified_duration: float | None
    dv01: float | None  # currency units a one basis point rise in yield costs the position

    @property
    def dirty(self) -> int:
        """Clean value plus accrued interest."""
        return self.clean + self.accrued


def clean_value(units: int, face: Decimal, price: Decimal, scale: int) -> int:
    """Clean value of `units` of face `face` (currency units) at `price` per 100."""
    return to_minor_units(units * Fraction(face) * Fraction(price) / 100, scale)


def accrued_value(terms: BondTerms, settles: date, units: int, scale: int) -> int:
    """Accrued interest on `units` for settlement on `settles` (negative ex-coupon)."""
    nominal = units * Fraction(terms.face_value)
    fraction = accrued_fraction(terms, settles)
    return to_minor_units(nominal * Fraction(terms.coupon_rate) * fraction, scale)


def value_position(
    terms: BondTerms, settles: date, units: int, price: Decimal, scale: int
) -> Figures | None:
    """The position's figures at `price`; None where the bond cannot be valued for that
    settlement (e.g. it settles after maturity)."""
    try:
        accrued = accrued_value(terms, settles, units, scale)
    except AnalyticsError:
        return None
    yield_ = yield_at(terms, settles, price)
    modified: float | None = None
    dv01: float | None = None
    if yield_ is not None:
        try:
            risk = bond_risk(terms, settles, yield_ / 100)
        except (AnalyticsError, ArithmeticError):
            risk = None  # the money figures stand; the risk figures are unknown
        if risk is not None and math.isfinite(risk.modified) and math.isfinite(risk.dv01):
            modified = risk.modified
            dv01 = risk.dv01 * float(terms.face_value) * units / 100
    return Figures(
        settles=settles,
        clean=clean_value(units, terms.face_value, price, scale),
        accrued=accrued,
        yield_percent=yield_,
        modified_duration=modified,
        dv01=dv01,
    )


def yield_at(terms: BondTerms, settles: date, price: Decimal) -> float | None:
    """The yield in percent at a clean price for settlement on `settles`; None where there is
    none (a price no yield gives, settlement after maturity)."""
    try:
        found = bond_yield(terms, settles, float(price)) * 100
    except (AnalyticsError, ArithmeticError):
        return None
    return found if math.isfinite(found) else None


def average_price(cost: int, units: int, face: Decimal, scale: int) -> Decimal | None:
    """The clean price per 100 that `cost` (minor units) paid for `units`, to six decimals."""
    if units <= 0:
        return None
    per_100 = Decimal(cost).scaleb(-scale) * 100 / (units * face)
    return per_100.quantize(PRICE_DECIMALS, rounding=ROUND_HALF_EVEN)


def weighted_average(pairs: Iterable[tuple[int, float | None]]) -> float | None:
    """The average of the figures weighted by their (positive) weights; None without any."""
    total = 0
    weighted = 0.0
    for weight, figure in pairs:
        if figure is None or weight <= 0:
            continue
        total += weight
        weighted += weight * figure
    return weighted / total if total else None

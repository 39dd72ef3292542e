"""Exact cash amounts: trade consideration, coupons and redemptions, in integer minor units.

Money never passes through a float. Inputs are ``Decimal`` (prices, rates, face values) and
the day-count fractions are the exact rationals of :mod:`liquibond.analytics.daycount`, so
every amount is computed as an exact rational number and rounded exactly once, half to
even, to the currency's scale (``scale=2`` for paise or cents).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction

import numpy as np

from liquibond.analytics._dates import as_days, to_date
from liquibond.analytics.bond import BondTerms, one_bond, payment_dates
from liquibond.analytics.daycount import ACT_ACT_SEBI, DAY_COUNTS
from liquibond.analytics.errors import InvalidTerms, NonPositivePrice
from liquibond.analytics.flows import cashflows, coupon_fractions

__all__ = [
    "Payment",
    "TradeCash",
    "accrued_fraction",
    "scheduled_payments",
    "to_minor_units",
    "trade_cash",
]


def to_minor_units(amount: Fraction, scale: int) -> int:
    """An exact amount as integer minor units (``10**-scale``), rounded half to even."""
    if scale < 0:
        raise InvalidTerms("currency scale must not be negative", field="scale")
    return round(amount * int(10**scale))


@dataclass(frozen=True, slots=True)
class TradeCash:
    """Cash of a bond trade in minor units; ``principal + accrued == total``."""

    principal: int
    accrued: int
    total: int


@functools.lru_cache(maxsize=4_096)
def accrued_fraction(terms: BondTerms, settlement: date) -> Fraction:
    """Exact year fraction of interest accrued at settlement (negative ex-coupon).

    Memoised: every trade of a bond settling on one date accrues the same fraction, and
    building the coupon schedule is most of what a trade's cash costs (terms are frozen
    and the result is an immutable Fraction, so sharing it is safe)."""
    return cashflows(one_bond(terms), settlement).accrued_fraction.exact()


def trade_cash(
    terms: BondTerms, settlement: date, units: int, clean_price: Decimal, scale: int
) -> TradeCash:
    """Cash for buying ``units`` bonds at ``clean_price`` per 100 of face.

    ``total = units * face * clean_price / 100 + units * face * coupon_rate * accrued
    fraction`` is computed exactly and rounded once, half to even, to ``scale`` decimals.
    The accrued interest shown separately is rounded the same way and the principal is the
    remainder, so the parts always add up to the rounded total.
    """
    if units <= 0:
        raise InvalidTerms("units must be positive", field="units")
    if clean_price <= 0:
        raise NonPositivePrice("clean price must be positive", field="clean_price")
    nominal = units * Fraction(terms.face_value)
    accrued = nominal * Fraction(terms.coupon_rate) * accrued_fraction(terms, settlement)
    total = to_minor_units(nominal * Fraction(clean_price) / 100 + accrued, scale)
    accrued_minor = to_minor_units(accrued, scale)
    return TradeCash(principal=total - accrued_minor, accrued=accrued_minor, total=total)


@dataclass(frozen=True, slots=True)
class Payment:
    """A scheduled payment to the holder of ``units`` bonds."""

    kind: str
    """``"coupon"`` or ``"redemption"``."""
    due_date: date
    payment_date: date
    amount: int
    """Minor units."""


def scheduled_payments(
    terms: BondTerms, units: int, scale: int, start: date, end: date
) -> list[Payment]:
    """Coupons and redemption due in ``[start, end]``, each rounded once, half to even.

    Payment dates follow the bond's calendar and conventions (Indian rule: coupons on a
    holiday are paid the next business day, the redemption the previous one; the schedule
    is not shifted). For ACT/ACT-SEBI bonds redeemed early because maturity is a holiday,
    the final coupon accrues only up to that payment date, as the SEBI circular of
    29 October 2013 requires.
    """
    bonds = one_bond(terms)
    schedule = bonds.schedule
    rows = np.nonzero((schedule.end >= as_days(start)) & (schedule.end <= as_days(end)))[0]
    if rows.size == 0:
        return []
    paid = payment_dates(bonds, rows)
    fractions = coupon_fractions(bonds, rows)
    nominal = units * Fraction(terms.face_value)
    rate = Fraction(terms.coupon_rate)
    payments = []
    for i, row in enumerate(rows):
        fraction = fractions.exact(i)
        final = row == len(schedule.end) - 1
        if final and DAY_COUNTS[bonds.day_count[0]] is ACT_ACT_SEBI and paid[i] < schedule.end[row]:
            refs = schedule.refs.take(np.array([row]))
            fraction = ACT_ACT_SEBI.fraction(schedule.start[[row]], paid[[i]], refs).exact()
        due, pay = to_date(schedule.end[row]), to_date(paid[i])
        payments.append(
            Payment("coupon", due, pay, to_minor_units(nominal * rate * fraction, scale))
        )
        if final:
            redemption = nominal * Fraction(terms.redemption) / 100
            payments.append(Payment("redemption", due, pay, to_minor_units(redemption, scale)))
    return payments

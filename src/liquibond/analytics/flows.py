"""The cash flows a buyer receives from settlement, with their discounting exponents.

For each bond and settlement date this finds the current coupon period, the accrued
interest (negative when trading ex-coupon), and every remaining cash flow with its amount
per 100 of face and its time from settlement in coupon periods (``periods``):

* a regular coupon period counts exactly one period and, under the bond-basis conventions
  (30/360, 30E/360, ACT/ACT-ICMA), pays exactly ``coupon / frequency``; other conventions
  pay ``coupon * year_fraction`` (ACT/360, ACT/365F, ACT/ACT-ISDA, ACT/ACT-SEBI);
* a stub counts its length in notional periods on the yield's clock: the 30/360 clock for
  the 30/360 conventions, ACT/ACT-ICMA for all others;
* the current period counts from settlement: its length minus the elapsed part.

These are the exponents of the street/ICMA price formula ``sum(a / (1 + y/f) ** t)`` and
coincide with QuantLib's compounded bond yield for ACT/ACT-ICMA and 30/360 bonds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from liquibond.analytics._dates import Days, Floats, Ints, as_days
from liquibond.analytics.bond import YIELD_CONVENTIONS, BondArray, YieldConvention
from liquibond.analytics.calendar import get_calendar
from liquibond.analytics.daycount import DAY_COUNTS, DayCount, Ratio
from liquibond.analytics.errors import SettlementAfterMaturity, SettlementBeforeIssue

__all__ = ["Cashflows", "cashflows", "coupon_fractions"]

_FIXED_REGULAR_COUPON = np.array([dc.fixed_regular_coupon for dc in DAY_COUNTS])
_STREET = YIELD_CONVENTIONS.index(YieldConvention.STREET)
_TREASURY = YIELD_CONVENTIONS.index(YieldConvention.TREASURY)


@dataclass(frozen=True, slots=True)
class Cashflows:
    """Remaining cash flows of many bonds at their settlement dates (flows in bond order)."""

    bond: Ints
    """Owning bond of each flow."""
    starts: Ints
    """Index of each bond's first flow (every bond has at least one)."""
    amount: Floats
    """Amount per 100 of face (coupon, plus redemption on the last flow)."""
    periods: Floats
    """Time from settlement in coupon periods (the discounting exponent)."""
    day: Days
    """Unadjusted due date of each flow (day number)."""
    settlement: Days
    frequency: Floats
    simple_periods: Floats
    """Leading span, in periods, discounted at simple rather than compound interest."""
    accrued_fraction: Ratio
    """Exact signed year fraction of accrued interest (negative ex-coupon)."""
    accrued: Floats
    """Accrued interest per 100 of face."""

    @property
    def size(self) -> int:
        """Number of bonds."""
        return len(self.settlement)


def _by_convention(codes: Ints, evaluate: Callable[[DayCount, Ints], Ratio]) -> Ratio:
    """Evaluate a day-count method row by row, each row with its bond's convention."""
    num = np.zeros(len(codes), dtype=np.int64)
    den = np.ones(len(codes), dtype=np.int64)
    for index in np.unique(codes):
        rows = np.nonzero(codes == index)[0]
        part = evaluate(DAY_COUNTS[index], rows)
        num[rows], den[rows] = part.num, part.den
    return Ratio(num, den)


def coupon_fractions(bonds: BondArray, rows: Ints) -> Ratio:
    """Exact coupon of each given schedule row as a fraction of the annual rate."""
    schedule = bonds.schedule
    refs = schedule.refs.take(rows)
    fixed = schedule.regular[rows] & _FIXED_REGULAR_COUPON[bonds.day_count[schedule.bond[rows]]]
    num, den = np.ones(len(rows), dtype=np.int64), refs.frequency.copy()
    varying = np.nonzero(~fixed)[0]
    part_rows = rows[varying]
    part = _by_convention(
        bonds.day_count[schedule.bond[part_rows]],
        lambda dc, r: dc.fraction(
            schedule.start[part_rows[r]], schedule.end[part_rows[r]], refs.take(varying[r])
        ),
    )
    num[varying], den[varying] = part.num, part.den
    return Ratio(num, den)


def _ex_coupon_dates(bonds: BondArray, coupon_day: Days) -> Days:
    """Ex-coupon date of each bond's next coupon (equal to the coupon date when none)."""
    ex_day = coupon_day - bonds.ex_coupon_days
    for index, code in enumerate(bonds.calendars):
        rows = np.nonzero(
            bonds.ex_coupon_business_days & (bonds.calendar == index) & (bonds.ex_coupon_days > 0)
        )[0]
        if rows.size:
            ex_day[rows] = get_calendar(code).advance_days(
                coupon_day[rows], -bonds.ex_coupon_days[rows]
            )
    return ex_day


def cashflows(bonds: BondArray, settlement: object) -> Cashflows:
    """Accrued interest and remaining cash flows of every bond at its settlement date.

    ``settlement`` is one date (``date``/``datetime64``) for all bonds or one per bond.
    """
    schedule = bonds.schedule
    n = len(bonds)
    x = np.ascontiguousarray(np.broadcast_to(as_days(settlement), (n,)), dtype=np.int64)
    late = x >= bonds.maturity
    if late.any():
        raise SettlementAfterMaturity(
            "settlement is on or after maturity", field="settlement", index=int(np.argmax(late))
        )
    early = x < bonds.issue
    if early.any():
        raise SettlementBeforeIssue(
            "settlement is before the issue date", field="settlement", index=int(np.argmax(early))
        )

    live = schedule.end > x[schedule.bond]
    rows = np.nonzero(live)[0]
    bond = schedule.bond[rows]
    first = np.r_[True, bond[1:] != bond[:-1]]
    last = np.r_[bond[1:] != bond[:-1], True]
    current = rows[first]  # the period containing settlement, per bond
    cur_codes, cur_refs = bonds.day_count, schedule.refs.take(current)
    cur_start, cur_end = schedule.start[current], schedule.end[current]

    # Length of each remaining period in coupon periods: 1 when regular, else its stub length.
    length = np.ones(len(rows))
    stubs = np.nonzero(~schedule.regular[rows])[0]
    stub_refs = schedule.refs.take(rows[stubs])
    length[stubs] = _by_convention(
        bonds.day_count[bond[stubs]],
        lambda dc, r: dc.periods(
            schedule.start[rows[stubs[r]]], schedule.end[rows[stubs[r]]], stub_refs.take(r)
        ),
    ).value()
    elapsed = _by_convention(
        cur_codes, lambda dc, r: dc.periods(cur_start[r], x[r], cur_refs.take(r))
    ).value()
    tau0 = length[first] - elapsed
    # Only a schedule's first and last periods can be stubs, so every period strictly
    # between the current and the last one is exactly one period long.
    position = np.arange(len(rows)) - np.flatnonzero(first)[bond]
    periods = np.where(first, tau0[bond], tau0[bond] + (position - 1) + length)

    ex_coupon = (bonds.ex_coupon_days > 0) & (x >= _ex_coupon_dates(bonds, cur_end))
    accrued_cum = _by_convention(
        cur_codes, lambda dc, r: dc.fraction(cur_start[r], x[r], cur_refs.take(r))
    )
    accrued_ex = _by_convention(
        cur_codes, lambda dc, r: dc.fraction(x[r], cur_end[r], cur_refs.take(r))
    ).negated()
    accrued_fraction = Ratio(
        np.where(ex_coupon, accrued_ex.num, accrued_cum.num),
        np.where(ex_coupon, accrued_ex.den, accrued_cum.den),
    )

    coupon = bonds.coupon[bond] * 100.0 * coupon_fractions(bonds, rows).value()
    coupon[first & ex_coupon[bond]] = 0.0
    amount = coupon + np.where(last, bonds.redemption[bond], 0.0)

    final_period = last[first]
    next_quasi = np.where(x < cur_refs.q1, cur_refs.q1, cur_refs.q2)
    to_quasi = _by_convention(
        cur_codes, lambda dc, r: dc.periods(x[r], next_quasi[r], cur_refs.take(r))
    ).value()
    simple = np.select(
        [(bonds.yield_convention == _STREET) & final_period, bonds.yield_convention == _TREASURY],
        [tau0, np.minimum(tau0, to_quasi)],
        0.0,
    )
    return Cashflows(
        bond=bond,
        starts=np.nonzero(first)[0],
        amount=amount,
        periods=periods,
        day=schedule.end[rows],
        settlement=x,
        frequency=bonds.frequency.astype(np.float64),
        simple_periods=simple,
        accrued_fraction=accrued_fraction,
        accrued=100.0 * bonds.coupon * accrued_fraction.value(),
    )

"""Coupon schedules for many bonds at once, with stubs and the end-of-month rule.

Coupon dates lie on a grid ``G(k) = anchor + k * (12 / frequency) months`` (month-end
anchored grids stay on month ends under the end-of-month rule). Front-stub rules anchor the
grid at maturity and roll backward; back-stub rules anchor it at the first coupon date (or
the issue date) and roll forward. A given first coupon date must lie on the grid. Stubs are
shorter than one period (short) or between one and two periods (long); anything longer is
rejected. Dates are unadjusted: business-day adjustment applies to payments only.

All bonds' periods are stored flattened in bond order (``offsets`` gives each bond's rows),
so every later computation is a handful of array operations whatever the number of bonds.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import numpy as np

from liquibond.analytics._dates import NO_DATE, Bools, Days, Ints, civil, days_in_month, month_day
from liquibond.analytics.daycount import ReferencePeriods
from liquibond.analytics.errors import InvalidSchedule

__all__ = ["Schedule", "StubRule", "build_schedules"]


class StubRule(Enum):
    """Where an irregular period goes when the dates do not divide into whole periods."""

    SHORT_FIRST = "short_first"
    LONG_FIRST = "long_first"
    SHORT_LAST = "short_last"
    LONG_LAST = "long_last"


STUB_RULES: tuple[StubRule, ...] = tuple(StubRule)
_SHORT_FIRST, _LONG_FIRST, _SHORT_LAST, _LONG_LAST = range(4)


@dataclass(frozen=True, slots=True)
class _Grid:
    """Regular date grids ``G(k) = anchor + k * step`` months, one per row.

    The anchor is kept as month index and day, so grid dates need no calendar conversion.
    """

    month: Ints
    """The anchor's ``12 * year + month - 1``."""
    day: Ints
    month_end: Bools
    """Whether grid dates are month ends (end-of-month rule on a month-end anchor)."""
    step: Ints

    @classmethod
    def anchored(cls, anchor: Days, step: Ints, end_of_month: Bools) -> _Grid:
        """The grids through ``anchor`` with ``step`` months between dates."""
        year, month, day = civil(anchor)
        month_end = end_of_month & (day == days_in_month(year, month))
        return cls(12 * year + month - 1, day, month_end, step)

    def at(self, k: Ints) -> Days:
        """The grid dates ``G(k)``."""
        return month_day(self.month + k * self.step, self.day, self.month_end)

    def floor(self, day: Days) -> Ints:
        """Largest ``k`` with ``G(k) <= day``."""
        year, month, _ = civil(day)
        k = (12 * year + month - 1 - self.month) // self.step
        return np.where(self.at(k) <= day, k, k - 1)

    def rows(self, rows: Ints) -> _Grid:
        """The grids of the given rows."""
        return _Grid(self.month[rows], self.day[rows], self.month_end[rows], self.step[rows])

    def yearly(self) -> _Grid:
        """The grids through the same anchors with twelve months between dates."""
        return _Grid(self.month, self.day, self.month_end, np.full_like(self.step, 12))


@dataclass(frozen=True, slots=True)
class Schedule:
    """Accrual periods of many bonds, flattened in bond order."""

    offsets: Ints
    """Periods of bond ``i`` are rows ``offsets[i]:offsets[i + 1]``."""
    bond: Ints
    start: Days
    end: Days
    regular: Bools
    """Whether a period is exactly one regular coupon period."""
    refs: ReferencePeriods

    @property
    def size(self) -> int:
        """Number of bonds."""
        return len(self.offsets) - 1


def _fail(bad: Bools, message: str, field: str) -> None:
    if bad.any():
        raise InvalidSchedule(message, field=field, index=int(np.argmax(bad)))


def build_schedules(
    *,
    issue: Days,
    maturity: Days,
    frequency: Ints,
    first_coupon: Days,
    stub: Ints,
    end_of_month: Bools,
    coupon_years: Bools,
) -> Schedule:
    """Accrual periods of each bond.

    ``first_coupon`` is ``NO_DATE`` where absent and ``stub`` indexes :data:`STUB_RULES`;
    ``coupon_years`` marks bonds whose day count needs the coupon years around each period
    (ACT/ACT-SEBI), the others get their coupon periods there.
    """
    back = stub >= _SHORT_LAST
    given = first_coupon != NO_DATE
    anchor = np.where(back, np.where(given, first_coupon, issue), maturity)
    grid = _Grid.anchored(anchor, 12 // frequency, end_of_month)

    outside = given & ((first_coupon <= issue) | (first_coupon > maturity))
    _fail(outside, "first coupon must fall after issue and no later than maturity", "first_coupon")
    k_issue = grid.floor(issue)
    k_last = grid.floor(maturity - 1)  # last grid date strictly before maturity
    k_given = grid.floor(np.where(given, first_coupon, issue))
    _fail(
        given & (grid.at(k_given) != first_coupon),
        "first coupon is not on the coupon grid",
        "first_coupon",
    )
    front_stub = grid.at(k_issue) != issue
    merge_first = (stub == _LONG_FIRST) & front_stub & (k_issue + 1 <= k_last)
    k_first = np.where(given, k_given, k_issue + 1 + merge_first.astype(np.int64))
    off_grid_maturity = grid.at(k_last + 1) != maturity
    merge_last = (stub == _LONG_LAST) & off_grid_maturity & (k_last >= k_first + given)
    k_end = k_last - merge_last.astype(np.int64)
    count = k_end - k_first + 2

    offsets = np.concatenate(([0], np.cumsum(count)))
    bond = np.repeat(np.arange(len(issue)), count)
    position = np.arange(offsets[-1]) - offsets[bond]
    first, last = position == 0, position == count[bond] - 1
    end = np.where(last, maturity[bond], grid.rows(bond).at(k_first[bond] + position))
    start = np.empty_like(end)
    start[1:] = end[:-1]
    start[first] = issue

    # Interior periods run between consecutive grid dates: each is its own reference
    # period. Only a bond's first and last periods can be stubs.
    q0, q1, q2 = start.copy(), end.copy(), end.copy()
    edge = np.nonzero(first | last)[0]
    edge_grid = grid.rows(bond[edge])
    k_edge = edge_grid.floor(start[edge])
    e1, e2 = edge_grid.at(k_edge + 1), edge_grid.at(k_edge + 2)
    too_long = np.zeros(len(issue), dtype=bool)
    too_long[bond[edge]] |= end[edge] > e2
    _fail(too_long, "stub longer than two coupon periods", "first_coupon")
    q0[edge], q1[edge], q2[edge] = edge_grid.at(k_edge), e1, np.where(end[edge] > e1, e2, e1)

    y0, y1, y2 = q0.copy(), q1.copy(), q2.copy()
    yearly = np.nonzero(coupon_years[bond])[0]
    years = grid.yearly().rows(bond[yearly])
    k_year = years.floor(start[yearly])
    y0[yearly], y1[yearly] = years.at(k_year), years.at(k_year + 1)
    y2[yearly] = np.where(end[yearly] > y1[yearly], years.at(k_year + 2), y1[yearly])
    refs = ReferencePeriods(q0, q1, q2, y0, y1, y2, frequency[bond])
    return Schedule(offsets, bond, start, end, (start == q0) & (end == q1), refs)

"""Day count conventions as named objects with exact, vectorised year fractions.

Every convention returns its year fractions as exact rationals (:class:`Ratio`, two int64
arrays), so the same formula serves the float maths (``ratio.value()``) and the money path
(``ratio.exact(i)`` is a :class:`fractions.Fraction`). Conventions that need a reference
period receive it as :class:`ReferencePeriods`: the notional coupon periods around an accrual
period (ACT/ACT-ICMA) and the notional coupon years around it (ACT/ACT-SEBI).

Each reference is three notional dates ``q0 <= q1 <= q2``: an accrual period lies inside
``[q0, q2]`` and spans one notional period (``q1 == q2``) or, for a long stub, two.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

import numpy as np

from liquibond.analytics._dates import (
    Days,
    Floats,
    Ints,
    add_months,
    as_days,
    civil,
    is_leap,
    year_start,
)
from liquibond.analytics.errors import UnknownConvention

__all__ = [
    "DAY_COUNTS",
    "DayCount",
    "Ratio",
    "ReferencePeriods",
    "day_count",
]


@dataclass(frozen=True, slots=True)
class Ratio:
    """Element-wise exact rationals ``num / den`` (int64 arrays, ``den > 0``)."""

    num: Ints
    den: Ints

    def value(self) -> Floats:
        """The ratios as float64."""
        return self.num / self.den

    def exact(self, index: int = 0) -> Fraction:
        """One ratio as an exact Fraction."""
        return Fraction(int(self.num[index]), int(self.den[index]))

    def negated(self) -> Ratio:
        """The ratios with their signs flipped."""
        return Ratio(-self.num, self.den)


@dataclass(frozen=True, slots=True)
class ReferencePeriods:
    """Notional periods around accrual periods, one row per accrual period."""

    q0: Days
    q1: Days
    q2: Days
    y0: Days
    y1: Days
    y2: Days
    frequency: Ints

    def take(self, rows: Ints) -> ReferencePeriods:
        """The reference periods of the given rows."""
        return ReferencePeriods(
            self.q0[rows],
            self.q1[rows],
            self.q2[rows],
            self.y0[rows],
            self.y1[rows],
            self.y2[rows],
            self.frequency[rows],
        )


def _clock(x: Days, q0: Days, q1: Days, q2: Days) -> tuple[Ints, Ints]:
    """Position of ``x`` in notional periods since ``q0``, as numerator and denominator."""
    first = q1 - q0
    second = np.where(q2 > q1, q2 - q1, 1)
    num = np.where(x <= q1, (x - q0) * second, first * second + (x - q1) * first)
    return num, first * second


def _clock_ratio(start: Days, end: Days, q0: Days, q1: Days, q2: Days, per: Ints) -> Ratio:
    """Notional periods between two dates divided by ``per`` (periods per year)."""
    num_start, den = _clock(start, q0, q1, q2)
    num_end, _ = _clock(end, q0, q1, q2)
    return Ratio(num_end - num_start, den * per)


class DayCount(ABC):
    """A day count convention, looked up by its stable ``code``."""

    code: str
    name: str
    fixed_regular_coupon: bool
    """Whether a regular period pays exactly ``coupon / frequency`` (bond-basis conventions)."""

    def __init__(self, code: str, name: str, *, fixed_regular_coupon: bool) -> None:
        self.code = code
        self.name = name
        self.fixed_regular_coupon = fixed_regular_coupon

    def __repr__(self) -> str:
        return f"DayCount({self.code!r})"

    @abstractmethod
    def fraction(self, start: Days, end: Days, refs: ReferencePeriods) -> Ratio:
        """Exact year fractions of ``[start, end)`` for each row."""

    def periods(self, start: Days, end: Days, refs: ReferencePeriods) -> Ratio:
        """Time from ``start`` to ``end`` in coupon periods, the yield's clock (ACT/ACT-ICMA)."""
        return _clock_ratio(start, end, refs.q0, refs.q1, refs.q2, np.ones_like(start))

    def year_fraction(
        self,
        start: date,
        end: date,
        *,
        reference: tuple[date, date] | None = None,
        frequency: int = 1,
    ) -> Fraction:
        """Exact year fraction between two dates.

        ``reference`` is the notional period containing them (ICMA coupon period, SEBI
        coupon year), by default ``(start, end)`` for ICMA and the twelve months ending at
        ``end`` for SEBI.
        """
        s, e = as_days([start]), as_days([end])
        if reference is None:
            q0, q2 = s, e
            y0, y2 = add_months(e, np.array([-12]), np.array([False])), e
        else:
            q0 = y0 = as_days([reference[0]])
            q2 = y2 = as_days([reference[1]])
        refs = ReferencePeriods(q0, q2, q2, y0, y2, y2, np.array([frequency], dtype=np.int64))
        return self.fraction(s, e, refs).exact()


class _Thirty360(DayCount):
    """30/360 family: months of 30 days, years of 360; subclasses adjust the day numbers."""

    def fraction(self, start: Days, end: Days, refs: ReferencePeriods) -> Ratio:
        y1, m1, d1 = civil(start)
        y2, m2, d2 = civil(end)
        d1, d2 = self._days(d1, d2)
        num = 360 * (y2 - y1) + 30 * (m2 - m1) + (d2 - d1)
        return Ratio(num, np.full_like(num, 360))

    def periods(self, start: Days, end: Days, refs: ReferencePeriods) -> Ratio:
        """Time in coupon periods on the 30/360 clock (a period is 360/frequency days)."""
        days = self.fraction(start, end, refs)
        return Ratio(days.num * refs.frequency, days.den)

    @abstractmethod
    def _days(self, d1: Ints, d2: Ints) -> tuple[Ints, Ints]:
        """Adjusted day-of-month numbers."""


class Thirty360Bond(_Thirty360):
    """30/360 US bond basis (ISDA 2006 4.16(f)): D1=31 -> 30; D2=31 -> 30 when D1 >= 30."""

    def _days(self, d1: Ints, d2: Ints) -> tuple[Ints, Ints]:
        d1 = np.minimum(d1, 30)
        return d1, np.where((d2 == 31) & (d1 == 30), 30, d2)


class Thirty360European(_Thirty360):
    """30E/360 Eurobond basis (ISDA 2006 4.16(g)): any 31st counts as the 30th."""

    def _days(self, d1: Ints, d2: Ints) -> tuple[Ints, Ints]:
        return np.minimum(d1, 30), np.minimum(d2, 30)


class ActualFixed(DayCount):
    """Actual days over a fixed year length (ACT/360, ACT/365F)."""

    def __init__(self, code: str, name: str, basis: int) -> None:
        super().__init__(code, name, fixed_regular_coupon=False)
        self.basis = basis

    def fraction(self, start: Days, end: Days, refs: ReferencePeriods) -> Ratio:
        days = end - start
        return Ratio(days, np.full_like(days, self.basis))


class ActualActualISDA(DayCount):
    """ACT/ACT ISDA: days in leap years over 366 plus days in other years over 365."""

    def fraction(self, start: Days, end: Days, refs: ReferencePeriods) -> Ratio:
        year1, _, _ = civil(start)
        year2, _, _ = civil(end)
        len1 = np.where(is_leap(year1), 366, 365)
        len2 = np.where(is_leap(year2), 366, 365)
        same = year1 == year2
        head = np.where(same, end - start, year_start(year1 + 1) - start)
        tail = np.where(same, 0, end - year_start(year2))
        whole = np.where(same, 0, year2 - year1 - 1)
        return Ratio(head * len2 + tail * len1 + whole * len1 * len2, len1 * len2)


class ActualActualICMA(DayCount):
    """ACT/ACT ICMA (Rule 251): actual days over actual days of the notional coupon period."""

    def fraction(self, start: Days, end: Days, refs: ReferencePeriods) -> Ratio:
        return _clock_ratio(start, end, refs.q0, refs.q1, refs.q2, refs.frequency)


class ActualActualSEBI(DayCount):
    """ACT/ACT as SEBI prescribes for Indian corporate bonds.

    Circular CIR/IMD/DF-1/122/2016: actual days over the days of the coupon year, 366 when
    that year contains 29 February, "for a whole one year period, irrespective of whether
    the interest is payable annually, half yearly, quarterly or monthly". Coupon years run
    between anniversaries of the schedule's anchor date (maturity for front stubs). For
    annual coupons this is "366 days when 29 February falls in the period".
    """

    def fraction(self, start: Days, end: Days, refs: ReferencePeriods) -> Ratio:
        return _clock_ratio(start, end, refs.y0, refs.y1, refs.y2, np.ones_like(start))


THIRTY_360 = Thirty360Bond("30/360", "30/360 US bond basis", fixed_regular_coupon=True)
THIRTY_E_360 = Thirty360European("30E/360", "30E/360 Eurobond basis", fixed_regular_coupon=True)
ACT_360 = ActualFixed("ACT/360", "Actual/360", 360)
ACT_365F = ActualFixed("ACT/365F", "Actual/365 Fixed", 365)
ACT_ACT_ICMA = ActualActualICMA("ACT/ACT-ICMA", "Actual/Actual ICMA", fixed_regular_coupon=True)
ACT_ACT_ISDA = ActualActualISDA("ACT/ACT-ISDA", "Actual/Actual ISDA", fixed_regular_coupon=False)
ACT_ACT_SEBI = ActualActualSEBI("ACT/ACT-SEBI", "Actual/Actual SEBI", fixed_regular_coupon=False)

DAY_COUNTS: tuple[DayCount, ...] = (
    THIRTY_360,
    THIRTY_E_360,
    ACT_360,
    ACT_365F,
    ACT_ACT_ICMA,
    ACT_ACT_ISDA,
    ACT_ACT_SEBI,
)
_BY_CODE = {convention.code: convention for convention in DAY_COUNTS}


def day_count(code: str) -> DayCount:
    """The day count convention registered under ``code`` (e.g. ``"ACT/ACT-ICMA"``)."""
    try:
        return _BY_CODE[code]
    except KeyError:
        known = ", ".join(_BY_CODE)
        raise UnknownConvention(
            f"unknown day count {code!r}; known: {known}", field="day_count"
        ) from None


def day_count_index(code: str) -> int:
    """Position of a day count in :data:`DAY_COUNTS` (its id in array layouts)."""
    return DAY_COUNTS.index(day_count(code))

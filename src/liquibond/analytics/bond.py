"""Bond terms: the scalar value object and its struct-of-arrays form for many bonds.

``BondTerms.coupon_rate`` (and ``face_value``, ``redemption``) are ``Decimal`` so that money
computed from them (:mod:`liquibond.analytics.cash`) is exact; the pricing maths converts
them to float64 once, in :class:`BondArray`. Every rule about valid terms is written once,
vectorised, in :func:`_validate`, and applies equally to one ``BondTerms`` and to a
``BondArray`` built from arrays.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from enum import Enum
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt

from liquibond.analytics._dates import NO_DATE, Bools, Days, Floats, Ints, as_days, day_number
from liquibond.analytics.calendar import (
    BUSINESS_DAY_CONVENTIONS,
    BusinessDayConvention,
    get_calendar,
)
from liquibond.analytics.daycount import ACT_ACT_SEBI, DAY_COUNTS, day_count_index
from liquibond.analytics.errors import InvalidTerms, UnsupportedFrequency
from liquibond.analytics.schedule import STUB_RULES, Schedule, StubRule, build_schedules

__all__ = [
    "INDIA_CORPORATE",
    "INDIA_GSEC",
    "LISTED_RECORD_DAYS",
    "BondArray",
    "BondTerms",
    "MarketConvention",
    "YieldConvention",
    "one_bond",
    "payment_dates",
]

FREQUENCIES = (1, 2, 4, 12)


class YieldConvention(Enum):
    """How a yield discounts: periodic compounding, with a convention-specific simple span.

    Compounding is always at the coupon frequency; the conventions differ in the initial
    span discounted at simple interest instead.

    * ``STREET``: compound, except simple interest when only the final coupon period
      remains (SIFMA street convention; Excel PRICE/YIELD).
    * ``COMPOUND``: compound throughout (ICMA; UK DMO gilt formula; QuantLib ``Compounded``).
    * ``TREASURY``: simple interest up to the next quasi-coupon date, compound after
      (US Treasury, 31 CFR 356 Appendix B).
    """

    STREET = "street"
    COMPOUND = "compound"
    TREASURY = "treasury"


YIELD_CONVENTIONS: tuple[YieldConvention, ...] = tuple(YieldConvention)


@dataclass(frozen=True, slots=True)
class BondTerms:
    """The terms of a fixed-coupon bond that the analytics need.

    ``coupon_rate`` is the annual rate as a fraction (``Decimal("0.0726")`` for 7.26%),
    ``redemption`` the amount repaid per 100 of face. ``ex_coupon_days`` > 0 makes
    settlements on or after ``coupon date - ex_coupon_days`` (calendar days, or business
    days of ``calendar`` when ``ex_coupon_business_days``) trade ex-coupon. Payments move by
    ``payment_convention`` (coupons) and ``redemption_convention`` (the final payment) on
    ``calendar``; accrual and yields use the unadjusted dates (street convention).
    """

    issue_date: date
    maturity: date
    coupon_rate: Decimal
    frequency: int = 2
    day_count: str = "30/360"
    face_value: Decimal = Decimal(100)
    first_coupon: date | None = None
    stub: StubRule = StubRule.SHORT_FIRST
    end_of_month: bool = True
    ex_coupon_days: int = 0
    ex_coupon_business_days: bool = False
    calendar: str = "WEEKENDS"
    payment_convention: BusinessDayConvention = BusinessDayConvention.FOLLOWING
    redemption_convention: BusinessDayConvention = BusinessDayConvention.FOLLOWING
    redemption: Decimal = Decimal(100)
    yield_convention: YieldConvention = YieldConvention.STREET

    def __post_init__(self) -> None:
        if not isinstance(self.coupon_rate, Decimal) or not isinstance(self.face_value, Decimal):
            raise InvalidTerms("coupon_rate and face_value must be Decimal", field="coupon_rate")
        if not isinstance(self.redemption, Decimal):
            raise InvalidTerms("redemption must be Decimal", field="redemption")
        if not self.face_value > 0:
            raise InvalidTerms("face value must be positive", field="face_value")
        one_bond(self)  # runs every check, the schedule's included


@dataclass(frozen=True, slots=True)
class MarketConvention:
    """A named set of market conventions to build bond terms from."""

    name: str
    day_count: str
    frequency: int
    calendar: str
    payment_convention: BusinessDayConvention
    redemption_convention: BusinessDayConvention
    yield_convention: YieldConvention = YieldConvention.STREET
    ex_coupon_days: int = 0
    ex_coupon_business_days: bool = False

    def terms(
        self, issue_date: date, maturity: date, coupon_rate: Decimal, **overrides: Any
    ) -> BondTerms:
        """Bond terms following this convention, with any field overridden."""
        terms = BondTerms(
            issue_date=issue_date,
            maturity=maturity,
            coupon_rate=coupon_rate,
            frequency=self.frequency,
            day_count=self.day_count,
            calendar=self.calendar,
            payment_convention=self.payment_convention,
            redemption_convention=self.redemption_convention,
            yield_convention=self.yield_convention,
            ex_coupon_days=self.ex_coupon_days,
            ex_coupon_business_days=self.ex_coupon_business_days,
        )
        return replace(terms, **overrides) if overrides else terms


#: Calendar days from the record date of listed debt to its coupon date (SEBI).
LISTED_RECORD_DAYS = 15

INDIA_GSEC = MarketConvention(
    "India G-Sec",
    "30/360",
    2,
    "RBI",
    BusinessDayConvention.FOLLOWING,
    BusinessDayConvention.PRECEDING,
)
"""Indian government securities: 30/360, half-yearly; a coupon due on a holiday is paid the
next business day and a redemption the previous one, the schedule itself unchanged.

No ex-coupon period: the record date is the business day before the payment, and a trade
settling on it is cum-coupon, so no settlement day falls between record date and coupon."""

INDIA_CORPORATE = MarketConvention(
    "India corporate (SEBI)",
    "ACT/ACT-SEBI",
    1,
    "RBI",
    BusinessDayConvention.FOLLOWING,
    BusinessDayConvention.PRECEDING,
    ex_coupon_days=LISTED_RECORD_DAYS - 1,
)
"""Indian corporate bonds under the SEBI circulars: ACT/ACT-SEBI, payments on Mumbai
money-market days (next business day for coupons, previous for the redemption).

The record date is 15 calendar days before the coupon date (the previous business day when
that is a holiday); holders as settled at its close get the coupon. A trade settling after
it, i.e. 14 days or fewer before the coupon date, is ex-coupon: negative accrued interest."""


@dataclass(frozen=True, slots=True)
class BondArray:
    """Terms of many bonds as parallel arrays (dates are day numbers since 1970-01-01)."""

    issue: Days
    maturity: Days
    coupon: Floats
    frequency: Ints
    day_count: Ints
    """Index into :data:`~liquibond.analytics.daycount.DAY_COUNTS`."""
    first_coupon: Days
    """``NO_DATE`` where the bond has no explicit first coupon date."""
    stub: Ints
    end_of_month: Bools
    ex_coupon_days: Ints
    ex_coupon_business_days: Bools
    calendar: Ints
    """Index into ``calendars``."""
    calendars: tuple[str, ...]
    payment_convention: Ints
    redemption_convention: Ints
    """Indexes into :data:`~liquibond.analytics.calendar.BUSINESS_DAY_CONVENTIONS`."""
    redemption: Floats
    yield_convention: Ints
    _schedule: list[Schedule] = field(default_factory=list, repr=False, compare=False)

    def __post_init__(self) -> None:
        _validate(self)

    def __len__(self) -> int:
        return len(self.issue)

    @classmethod
    def of(cls, terms: Sequence[BondTerms]) -> BondArray:
        """The array form of a sequence of bond terms."""
        calendars = tuple(sorted({t.calendar for t in terms}))

        def column(values: list[Any], dtype: type[np.generic]) -> npt.NDArray[Any]:
            return np.array(values, dtype=dtype)

        return cls(
            issue=as_days([t.issue_date for t in terms]),
            maturity=as_days([t.maturity for t in terms]),
            coupon=column([float(t.coupon_rate) for t in terms], np.float64),
            frequency=column([t.frequency for t in terms], np.int64),
            day_count=column([day_count_index(t.day_count) for t in terms], np.int64),
            first_coupon=column(
                [NO_DATE if t.first_coupon is None else day_number(t.first_coupon) for t in terms],
                np.int64,
            ),
            stub=column([STUB_RULES.index(t.stub) for t in terms], np.int64),
            end_of_month=column([t.end_of_month for t in terms], np.bool_),
            ex_coupon_days=column([t.ex_coupon_days for t in terms], np.int64),
            ex_coupon_business_days=column([t.ex_coupon_business_days for t in terms], np.bool_),
            calendar=column([calendars.index(t.calendar) for t in terms], np.int64),
            calendars=calendars,
            payment_convention=column(
                [BUSINESS_DAY_CONVENTIONS.index(t.payment_convention) for t in terms], np.int64
            ),
            redemption_convention=column(
                [BUSINESS_DAY_CONVENTIONS.index(t.redemption_convention) for t in terms], np.int64
            ),
            redemption=column([float(t.redemption) for t in terms], np.float64),
            yield_convention=column(
                [YIELD_CONVENTIONS.index(t.yield_convention) for t in terms], np.int64
            ),
        )

    @property
    def schedule(self) -> Schedule:
        """The bonds' coupon schedules (built once, then cached)."""
        if not self._schedule:
            self._schedule.append(
                build_schedules(
                    issue=self.issue,
                    maturity=self.maturity,
                    frequency=self.frequency,
                    first_coupon=self.first_coupon,
                    stub=self.stub,
                    end_of_month=self.end_of_month,
                    coupon_years=self.day_count == DAY_COUNTS.index(ACT_ACT_SEBI),
                )
            )
        return self._schedule[0]


@lru_cache(maxsize=1024)
def one_bond(terms: BondTerms) -> BondArray:
    """The array form of one bond's terms with its schedule built (cached; read-only)."""
    bonds = BondArray.of([terms])
    _ = bonds.schedule
    return bonds


def _validate(bonds: BondArray) -> None:
    """Reject terms that cannot describe a bond, naming the field and the bond."""

    def check(
        bad: Bools, error: type[InvalidTerms] | type[UnsupportedFrequency], message: str, name: str
    ) -> None:
        if bad.any():
            raise error(message, field=name, index=int(np.argmax(bad)))

    n = len(bonds.issue)
    for name in (
        "maturity",
        "coupon",
        "frequency",
        "day_count",
        "first_coupon",
        "stub",
        "end_of_month",
        "ex_coupon_days",
        "ex_coupon_business_days",
        "calendar",
        "payment_convention",
        "redemption_convention",
        "redemption",
        "yield_convention",
    ):
        if len(getattr(bonds, name)) != n:
            raise InvalidTerms(
                f"{name} has {len(getattr(bonds, name))} entries for {n} bonds", field=name
            )
    check(
        ~np.isin(bonds.frequency, FREQUENCIES),
        UnsupportedFrequency,
        "frequency must be 1, 2, 4 or 12",
        "frequency",
    )
    check(
        bonds.maturity <= bonds.issue,
        InvalidTerms,
        "maturity must be after the issue date",
        "maturity",
    )
    check(
        ~(bonds.coupon >= 0),
        InvalidTerms,
        "coupon rate must be a non-negative number",
        "coupon_rate",
    )
    check(~(bonds.redemption > 0), InvalidTerms, "redemption must be positive", "redemption")
    check(
        bonds.ex_coupon_days < 0,
        InvalidTerms,
        "ex-coupon days must not be negative",
        "ex_coupon_days",
    )
    check(
        (bonds.day_count < 0) | (bonds.day_count >= len(DAY_COUNTS)),
        InvalidTerms,
        "unknown day count",
        "day_count",
    )
    check(
        (bonds.stub < 0) | (bonds.stub >= len(STUB_RULES)),
        InvalidTerms,
        "unknown stub rule",
        "stub",
    )
    conventions = np.concatenate((bonds.payment_convention, bonds.redemption_convention))
    check(
        (conventions < 0) | (conventions >= len(BUSINESS_DAY_CONVENTIONS)),
        InvalidTerms,
        "unknown business day convention",
        "payment_convention",
    )
    check(
        (bonds.calendar < 0) | (bonds.calendar >= len(bonds.calendars)),
        InvalidTerms,
        "unknown calendar",
        "calendar",
    )
    check(
        (bonds.yield_convention < 0) | (bonds.yield_convention >= len(YIELD_CONVENTIONS)),
        InvalidTerms,
        "unknown yield convention",
        "yield_convention",
    )
    for code in bonds.calendars:
        get_calendar(code)


def payment_dates(bonds: BondArray, rows: Ints) -> Days:
    """Payment dates of the given schedule rows on each bond's calendar.

    Coupons move by the bond's payment convention, the final period by its redemption
    convention.
    """
    schedule = bonds.schedule
    bond = schedule.bond[rows]
    final = rows == schedule.offsets[bond + 1] - 1
    convention = np.where(final, bonds.redemption_convention[bond], bonds.payment_convention[bond])
    paid = schedule.end[rows].copy()
    for calendar_index, code in enumerate(bonds.calendars):
        for convention_index, rule in enumerate(BUSINESS_DAY_CONVENTIONS):
            chosen = (bonds.calendar[bond] == calendar_index) & (convention == convention_index)
            if chosen.any():
                paid[chosen] = get_calendar(code).adjust_days(paid[chosen], rule)
    return paid

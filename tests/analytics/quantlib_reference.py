"""QuantLib as an independent second implementation: the same bonds built from QuantLib's
own schedules, day counters, coupons and yield functions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from itertools import pairwise

import QuantLib as ql

from liquibond.analytics import BondTerms, StubRule, YieldConvention

DAY_COUNTERS = {
    "30/360": ql.Thirty360(ql.Thirty360.BondBasis),
    "30E/360": ql.Thirty360(ql.Thirty360.European),
    "ACT/360": ql.Actual360(),
    "ACT/365F": ql.Actual365Fixed(),
    "ACT/ACT-ICMA": ql.ActualActual(ql.ActualActual.ISMA),
    "ACT/ACT-ISDA": ql.ActualActual(ql.ActualActual.ISDA),
}
FREQUENCIES = {1: ql.Annual, 2: ql.Semiannual, 4: ql.Quarterly, 12: ql.Monthly}


def ex_calendar(terms: BondTerms) -> ql.Calendar:
    return ql.WeekendsOnly() if terms.ex_coupon_business_days else ql.NullCalendar()


def ex_coupon_date(terms: BondTerms, coupon_date: ql.Date) -> ql.Date:
    if not terms.ex_coupon_days:
        return ql.Date()
    return ex_calendar(terms).advance(coupon_date, -terms.ex_coupon_days, ql.Days)


def qdate(day: date) -> ql.Date:
    return ql.Date(day.day, day.month, day.year)


def pydate(day: ql.Date) -> date:
    return date(day.year(), day.month(), day.dayOfMonth())


def schedule(terms: BondTerms) -> ql.Schedule:
    """QuantLib's schedule for the terms; long stubs by merging QuantLib's short stub."""
    tenor = ql.Period(12 // terms.frequency, ql.Months)
    back = terms.stub in (StubRule.SHORT_LAST, StubRule.LONG_LAST)
    rule = ql.DateGeneration.Forward if back else ql.DateGeneration.Backward
    first = qdate(terms.first_coupon) if terms.first_coupon else ql.Date()

    def build(first_date: ql.Date, next_to_last: ql.Date) -> ql.Schedule:
        return ql.Schedule(
            qdate(terms.issue_date),
            qdate(terms.maturity),
            tenor,
            ql.NullCalendar(),
            ql.Unadjusted,
            ql.Unadjusted,
            rule,
            terms.end_of_month,
            first_date,
            next_to_last,
        )

    result = build(first, ql.Date())
    dates = list(result)
    if (
        terms.stub is StubRule.LONG_FIRST
        and not terms.first_coupon
        and len(dates) > 2
        and not result.isRegular(1)
    ):
        result = build(dates[2], ql.Date())
    if (
        terms.stub is StubRule.LONG_LAST
        and len(dates) > 3 - (terms.first_coupon is None)
        and not result.isRegular(len(dates) - 1)
    ):
        result = build(first, dates[-3])
    return result


def _sebi_leg(terms: BondTerms, sched: ql.Schedule) -> ql.Leg:
    """ACT/ACT-SEBI coupons: ICMA fractions against coupon years ending on anniversaries
    of the maturity (front stubs) or of the first coupon / issue date (back stubs)."""
    dates = list(sched)
    back = terms.stub in (StubRule.SHORT_LAST, StubRule.LONG_LAST)
    anchor = qdate(terms.first_coupon or terms.issue_date) if back else qdate(terms.maturity)
    eom = terms.end_of_month and ql.Date.isEndOfMonth(anchor)
    icma = ql.ActualActual(ql.ActualActual.ISMA)
    rate = float(terms.coupon_rate)
    leg = ql.Leg()
    for start, end in pairwise(dates):
        # the coupon year containing the period's last day; QuantLib's ICMA splits any
        # earlier part over the year before it
        def anniversary(k: int) -> ql.Date:
            return ql.NullCalendar().advance(
                anchor, ql.Period(12 * k, ql.Months), ql.Unadjusted, eom
            )

        k = 0
        while anniversary(k) >= end:
            k -= 1
        while anniversary(k + 1) < end:
            k += 1
        ref_start, ref_end = anniversary(k), anniversary(k + 1)
        ex_date = ex_coupon_date(terms, end)
        leg.append(
            ql.FixedRateCoupon(end, 100.0, rate, icma, start, end, ref_start, ref_end, ex_date)
        )
    return leg  # ql.Bond adds the redemption of the notional (100)


def _timing_leg(terms: BondTerms, sched: ql.Schedule, sebi: ql.Leg) -> ql.Leg:
    """The SEBI amounts on coupons whose reference periods are the regular coupon periods
    (QuantLib's own, from a plain fixed-rate bond), so that QuantLib's yield functions time
    them on the ACT/ACT-ICMA clock: each rate is scaled to reproduce the SEBI amount."""
    plain = ql.FixedRateBond(0, 100.0, sched, [1.0], ISMA)
    leg = ql.Leg()
    coupons = [ql.as_coupon(c) for c in plain.cashflows() if ql.as_coupon(c)]
    for coupon, target in zip(
        coupons, [ql.as_coupon(c) for c in sebi if ql.as_coupon(c)], strict=True
    ):
        ex_date = ex_coupon_date(terms, coupon.date())
        rate = target.amount() / coupon.amount() if coupon.amount() else 0.0
        leg.append(
            ql.FixedRateCoupon(
                coupon.date(),
                100.0,
                rate,
                ISMA,
                coupon.accrualStartDate(),
                coupon.accrualEndDate(),
                coupon.referencePeriodStart(),
                coupon.referencePeriodEnd(),
                ex_date,
            )
        )
    return leg


ISMA = ql.ActualActual(ql.ActualActual.ISMA)


@dataclass
class Reference:
    """QuantLib bonds for prices and yields (``bond``) and accrued interest (``accrual_bond``)."""

    bond: ql.Bond
    yield_day_counter: ql.DayCounter
    frequency: int
    accrual_bond: ql.Bond

    def compounding(self, settlement: date, convention: YieldConvention) -> int:
        if convention is YieldConvention.COMPOUND:
            return ql.Compounded
        if convention is YieldConvention.TREASURY:
            return ql.SimpleThenCompounded
        coupons = [c for c in self.bond.cashflows() if c.date() > qdate(settlement)]
        final = len({c.date() for c in coupons}) == 1
        return ql.Simple if final else ql.Compounded


def reference(terms: BondTerms) -> Reference:
    sched = schedule(terms)
    if terms.day_count == "ACT/ACT-SEBI":
        sebi = _sebi_leg(terms, sched)
        return Reference(
            ql.Bond(0, ql.NullCalendar(), qdate(terms.issue_date), _timing_leg(terms, sched, sebi)),
            ISMA,
            terms.frequency,
            accrual_bond=ql.Bond(0, ql.NullCalendar(), qdate(terms.issue_date), sebi),
        )
    bond = ql.FixedRateBond(
        0,
        100.0,
        sched,
        [float(terms.coupon_rate)],
        DAY_COUNTERS[terms.day_count],
        ql.Unadjusted,
        float(terms.redemption),
        qdate(terms.issue_date),
        ql.NullCalendar(),
        ql.Period(terms.ex_coupon_days, ql.Days) if terms.ex_coupon_days else ql.Period(),
        ex_calendar(terms),
        ql.Unadjusted,
        False,
    )
    yield_dc = DAY_COUNTERS[terms.day_count] if terms.day_count.startswith("30") else ISMA
    return Reference(bond, yield_dc, terms.frequency, accrual_bond=bond)

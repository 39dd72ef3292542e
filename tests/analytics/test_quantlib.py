"""QuantLib as an independent second implementation, on thousands of random bonds.

Every random bond is priced by our array path in one batch and by QuantLib one object at a
time, from QuantLib's own schedule, day counter, coupons and yield functions. Tolerances:
accrued and prices within 1e-8 per 100, yields within 1e-10, durations and convexity within
1e-9 relative. Differences that come from documented convention choices are not hidden by
tolerances; the generator stays out of them and they are tested on their own:

* QuantLib takes the reference period of an irregular coupon as its coupon date +/- one
  tenor, applying the end-of-month flag to that date; we use the notional dates of the
  coupon grid (ICMA Rule 251). They differ only when a date falls on the 28th-31st and the
  grid is not month-end, so random dates use days 1-27; month-end grids are covered by
  ``test_end_of_month_schedules`` and the Treasury examples.
* QuantLib anchors the reference period of a bond's *only* period at maturity even under a
  back-stub rule; we anchor it on the stub rule's grid. Random bonds have three periods or more.
* QuantLib's 30/360 coupons are ``rate x 30/360 fraction``; we pay ``rate / frequency`` on
  regular periods (bond-market rule). Identical on days 1-27; see ``test_thirty_360_month_end``.
* ``YieldConvention.TREASURY`` is QuantLib's ``SimpleThenCompounded`` only while the next flow
  is within one quasi-coupon period and no later flow is a short stub; ``test_treasury_vs_quantlib``
  draws such bonds (long first coupons are covered by the Treasury's own examples).
* ACT/ACT-SEBI has no QuantLib day counter: its coupons and accrued interest come from
  QuantLib ICMA coupons whose reference periods are the coupon years, and its discounting
  from QuantLib ICMA coupons on the coupon periods carrying those amounts.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pytest

ql = pytest.importorskip("QuantLib")

from liquibond.analytics import (  # noqa: E402
    DAY_COUNTS,
    BondArray,
    BondTerms,
    Interpolation,
    NelsonSiegelSvensson,
    StubRule,
    YieldConvention,
    ZeroCurve,
    bootstrap_par_curve,
    cashflows,
    fair_value,
    price_from_yield,
    risk,
    to_date,
    yield_from_price,
    z_spread,
)
from tests.analytics.quantlib_reference import pydate, qdate, reference, schedule  # noqa: E402

SEED = 20250101
CODES = [dc.code for dc in DAY_COUNTS]


@dataclass
class Case:
    terms: BondTerms
    settlement: date
    yield_: float


def random_cases(count: int, seed: int, conventions: tuple[YieldConvention, ...]) -> list[Case]:
    rng = random.Random(seed)
    cases = []
    while len(cases) < count:
        frequency = rng.choice((1, 2, 4, 12))
        issue = date(2000, 1, 1) + timedelta(days=rng.randrange(365 * 25))
        issue = issue.replace(day=min(issue.day, 27))
        maturity = date(issue.year + rng.randint(1, 30), rng.randint(1, 12), rng.randint(1, 27))
        if (maturity - issue).days < 3 * 366 // frequency + 31:
            continue
        stub = rng.choice(list(StubRule))
        first_coupon = None
        if rng.random() < 0.2:  # an explicit first coupon date on the grid
            grid = schedule(BondTerms(issue, maturity, Decimal(0), frequency, stub=stub))
            first_coupon = pydate(grid[1]) if len(grid) > 3 else None
        terms = BondTerms(
            issue,
            maturity,
            Decimal(rng.randint(0, 1500)) / 10000,
            frequency,
            rng.choice(CODES),
            first_coupon=first_coupon,
            stub=stub,
            end_of_month=rng.random() < 0.5,
            ex_coupon_days=rng.choice((0, 0, 0, 3, 7, 15)),
            ex_coupon_business_days=rng.random() < 0.5,
            yield_convention=rng.choice(conventions),
        )
        settlement = issue + timedelta(days=rng.randrange((maturity - issue).days))
        cases.append(Case(terms, settlement, rng.uniform(-0.02, 0.2)))
    return cases


def our_results(cases: list[Case]) -> tuple[object, ...]:
    bonds = BondArray.of([case.terms for case in cases])
    flows = cashflows(bonds, np.array([case.settlement for case in cases], dtype="datetime64[D]"))
    yields = np.array([case.yield_ for case in cases])
    quote = price_from_yield(flows, yields)
    measures = risk(flows, yields)
    return bonds, flows, quote, measures


def quantlib_results(case: Case) -> dict[str, float]:
    ref = reference(case.terms)
    settle = qdate(case.settlement)
    ql.Settings.instance().evaluationDate = settle
    rate = ql.InterestRate(
        case.yield_,
        ref.yield_day_counter,
        ref.compounding(case.settlement, case.terms.yield_convention),
        case.terms.frequency,
    )
    leg = ref.bond.cashflows()
    accrued = ql.BondFunctions.accruedAmount(ref.accrual_bond, settle)
    dirty = ql.CashFlows.npv(leg, rate, False, settle, settle)
    return {
        "accrued": accrued,
        "clean": dirty - accrued,
        "modified": ql.CashFlows.duration(leg, rate, ql.Duration.Modified, False, settle),
        "convexity": ql.CashFlows.convexity(leg, rate, False, settle),
        "macaulay": (
            ql.CashFlows.duration(leg, rate, ql.Duration.Macaulay, False, settle)
            if rate.compounding() == ql.Compounded
            else float("nan")
        ),
    }


def test_schedules_match_quantlib() -> None:
    for case in random_cases(1000, SEED, (YieldConvention.COMPOUND,)):
        ours = BondArray.of([case.terms]).schedule
        theirs = [pydate(d) for d in schedule(case.terms)]
        assert [to_date(d) for d in (ours.start[0], *ours.end)] == theirs, case.terms


@pytest.mark.parametrize("convention", [YieldConvention.COMPOUND, YieldConvention.STREET])
def test_prices_yields_and_risk_match_quantlib(convention: YieldConvention) -> None:
    cases = random_cases(1000, SEED + len(convention.value), (convention,))
    _, flows, quote, measures = our_results(cases)
    references = [quantlib_results(c) for c in cases]
    solved = yield_from_price(flows, [expected["clean"] for expected in references])
    for i, (case, expected) in enumerate(zip(cases, references, strict=True)):
        label = (case.terms, case.settlement, case.yield_)
        assert quote.accrued[i] == pytest.approx(expected["accrued"], abs=1e-10), label
        assert quote.clean[i] == pytest.approx(expected["clean"], abs=1e-8), label
        assert solved[i] == pytest.approx(case.yield_, abs=1e-10), label
        assert measures.modified[i] == pytest.approx(expected["modified"], rel=1e-9, abs=1e-12), (
            label
        )
        assert measures.convexity[i] == pytest.approx(expected["convexity"], rel=1e-9, abs=1e-12), (
            label
        )
        if not np.isnan(expected["macaulay"]):
            assert measures.macaulay[i] == pytest.approx(
                expected["macaulay"], rel=1e-9, abs=1e-12
            ), label


def test_quantlib_yield_solver_agrees_with_ours() -> None:
    """QuantLib's own yield solver, fed our prices, returns our yields."""
    cases = random_cases(300, SEED + 7, (YieldConvention.COMPOUND,))
    _, _, quote, _ = our_results(cases)
    for i, case in enumerate(cases):
        ref = reference(case.terms)
        ql.Settings.instance().evaluationDate = qdate(case.settlement)
        price = ql.BondPrice(float(quote.dirty[i]), ql.BondPrice.Dirty)
        solved = ql.BondFunctions.bondYield(
            ref.bond,
            price,
            ref.yield_day_counter,
            ql.Compounded,
            case.terms.frequency,
            qdate(case.settlement),
            1e-14,
            500,
            0.05,
        )
        assert solved == pytest.approx(case.yield_, abs=1e-10), case.terms


def test_treasury_vs_quantlib() -> None:
    """Treasury convention = QuantLib SimpleThenCompounded for regular and short-first
    schedules whose last period is regular (front stubs, maturity on the grid)."""
    cases = [
        c
        for c in random_cases(1200, SEED + 11, (YieldConvention.TREASURY,))
        if c.terms.stub is StubRule.SHORT_FIRST
    ]
    _, _, quote, _ = our_results(cases)
    for i, case in enumerate(cases):
        assert quote.clean[i] == pytest.approx(quantlib_results(case)["clean"], abs=1e-8), (
            case.terms
        )


def test_end_of_month_schedules() -> None:
    """Month-end maturities with the end-of-month rule: the whole grid sits on month ends."""
    rng = random.Random(SEED + 3)
    for _ in range(300):
        frequency = rng.choice((1, 2, 4, 12))
        maturity = date(rng.randint(2030, 2060), rng.randint(1, 12), 1) - timedelta(days=1)
        issue = date(rng.randint(2001, 2025), rng.randint(1, 12), rng.randint(1, 28))
        terms = BondTerms(
            issue,
            maturity,
            Decimal("0.05"),
            frequency,
            stub=rng.choice((StubRule.SHORT_FIRST, StubRule.LONG_FIRST)),
        )
        ours = BondArray.of([terms]).schedule
        assert [to_date(d) for d in (ours.start[0], *ours.end)] == [
            pydate(d) for d in schedule(terms)
        ]


def test_thirty_360_month_end() -> None:
    """Named difference: a regular 30/360 period from 31 Aug to 28 Feb pays coupon / 2 here
    (bond-market rule, e.g. SIFMA, RBI) but 178/360 of the coupon in QuantLib."""
    terms = BondTerms(date(2020, 8, 31), date(2030, 8, 31), Decimal("0.08"), 2, "30/360")
    flows = cashflows(BondArray.of([terms]), date(2021, 1, 4))
    ref = reference(terms)
    theirs = [c.amount() for c in ref.bond.cashflows() if c.date() == ql.Date(28, 2, 2021)]
    assert flows.amount[0] == 4.0
    assert theirs[0] == pytest.approx(8.0 * 178 / 360, abs=1e-12)


# --- curves


REFERENCE = date(2025, 1, 1)


def test_par_bootstrap_matches_quantlib() -> None:
    """On 1 Jan / 1 Jul dates 30/360 times are exact halves, so QuantLib's bond-helper
    bootstrap on dates is the same problem as ours on times."""
    tenors = [1, 2, 3, 5, 7, 10, 20, 30]
    yields = [0.061, 0.0635, 0.065, 0.0672, 0.0684, 0.0695, 0.071, 0.0712]
    dc = ql.Thirty360(ql.Thirty360.BondBasis)
    today = qdate(REFERENCE)
    ql.Settings.instance().evaluationDate = today
    helpers = []
    for tenor, coupon in zip(tenors, yields, strict=True):
        sched = ql.Schedule(
            today,
            today + ql.Period(tenor, ql.Years),
            ql.Period(6, ql.Months),
            ql.NullCalendar(),
            ql.Unadjusted,
            ql.Unadjusted,
            ql.DateGeneration.Backward,
            False,
        )
        helpers.append(
            ql.FixedRateBondHelper(
                ql.QuoteHandle(ql.SimpleQuote(100.0)), 0, 100.0, sched, [coupon], dc
            )
        )
    for interpolation, curve_type in (
        (Interpolation.LOG_LINEAR_DISCOUNT, ql.PiecewiseLogLinearDiscount),
        (Interpolation.LINEAR_ZERO, ql.PiecewiseLinearZero),
    ):
        theirs = curve_type(today, helpers, dc)
        ours = bootstrap_par_curve(REFERENCE, tenors, yields, 2, interpolation)
        times = np.arange(1, 61) / 2
        expected = [
            theirs.discount(today + ql.Period(int(6 * t * 2 // 1), ql.Months)) for t in times
        ]
        assert ours.discount(times) == pytest.approx(expected, abs=1e-12), interpolation


def _ql_zero_curve(curve: ZeroCurve) -> ql.YieldTermStructure:
    today = qdate(REFERENCE)
    dates = [today] + [today + round(t * 365) for t in curve.times]
    rates = [float(curve.rates[0]), *map(float, curve.rates)]
    return ql.ZeroCurve(
        dates, rates, ql.Actual365Fixed(), ql.NullCalendar(), ql.Linear(), ql.Continuous
    )


def test_z_spread_and_fair_value_match_quantlib() -> None:
    days = np.array([91, 182, 365, 730, 1095, 1826, 2557, 3652, 7305, 10957, 14610])
    curve = ZeroCurve(
        REFERENCE, days / 365.0, np.linspace(0.055, 0.072, len(days)), Interpolation.LINEAR_ZERO
    )
    handle = ql.YieldTermStructureHandle(_ql_zero_curve(curve))
    cases = [
        c
        for c in random_cases(400, SEED + 5, (YieldConvention.COMPOUND,))
        if c.terms.day_count != "ACT/ACT-SEBI"
        and c.settlement >= REFERENCE
        and c.terms.maturity <= REFERENCE + timedelta(days=14000)
    ]
    bonds = BondArray.of([c.terms for c in cases])
    flows = cashflows(bonds, np.array([c.settlement for c in cases], dtype="datetime64[D]"))
    spreads = np.array([0.001 * (i % 40) for i in range(len(cases))])
    valued = fair_value(flows, curve, spreads)
    solved = z_spread(flows, curve, valued.clean)
    for i, case in enumerate(cases):
        ref = reference(case.terms)
        settle = qdate(case.settlement)
        ql.Settings.instance().evaluationDate = qdate(REFERENCE)
        spreaded = ql.ZeroSpreadedTermStructure(
            handle,
            ql.QuoteHandle(ql.SimpleQuote(float(spreads[i]))),
            ql.Continuous,
            ql.NoFrequency,
            ql.Actual365Fixed(),
        )
        npv = ql.CashFlows.npv(ref.bond.cashflows(), spreaded, False, settle, settle)
        assert valued.dirty[i] == pytest.approx(npv, abs=1e-8), case.terms
        assert solved[i] == pytest.approx(spreads[i], abs=1e-10), case.terms


def test_nelson_siegel_svensson_matches_quantlib() -> None:
    params = (0.065, -0.015, 0.02, 0.01, 1.8, 9.0)
    ours = NelsonSiegelSvensson(REFERENCE, *params)
    array = ql.Array([params[0], params[1], params[2], params[3], 1 / params[4], 1 / params[5]])
    theirs = ql.FittedBondDiscountCurve(
        qdate(REFERENCE),
        ql.SvenssonFitting(),
        array,
        qdate(REFERENCE) + 365 * 60,
        ql.Actual365Fixed(),
    )
    times = np.linspace(0.05, 50, 200)
    assert ours.discount(times) == pytest.approx(
        [theirs.discount(float(t)) for t in times], abs=1e-13
    )

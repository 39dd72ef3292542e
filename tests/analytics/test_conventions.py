"""Day counts, schedules, input errors, cash rounding and curve construction."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest

from liquibond.analytics import (
    INDIA_CORPORATE,
    AnalyticsError,
    BondArray,
    BondTerms,
    Interpolation,
    InvalidSchedule,
    InvalidTerms,
    NelsonSiegelSvensson,
    NonPositivePrice,
    SettlementAfterMaturity,
    SettlementBeforeIssue,
    StubRule,
    UnknownCalendar,
    UnknownConvention,
    UnsupportedFrequency,
    YieldConvention,
    ZeroCurve,
    bond_price,
    bond_yield,
    bootstrap_par_curve,
    cashflows,
    curve_key_rate_durations,
    day_count,
    fair_value,
    fit_nelson_siegel_svensson,
    scheduled_payments,
    to_date,
    to_minor_units,
    trade_cash,
)


def fraction(code: str, start: date, end: date) -> Fraction:
    return day_count(code).year_fraction(start, end)


def test_thirty_360_variants() -> None:
    # US bond basis: D2 = 31 stays 31 unless D1 is 30 or 31; 30E/360: every 31st is a 30th.
    assert fraction("30/360", date(2025, 2, 6), date(2025, 3, 31)) == Fraction(55, 360)
    assert fraction("30E/360", date(2025, 2, 6), date(2025, 3, 31)) == Fraction(54, 360)
    assert fraction("30/360", date(2025, 1, 30), date(2025, 3, 31)) == Fraction(60, 360)
    assert fraction("30/360", date(2025, 1, 31), date(2025, 2, 28)) == Fraction(28, 360)
    assert fraction("ACT/360", date(2025, 1, 1), date(2026, 1, 1)) == Fraction(365, 360)
    assert fraction("ACT/365F", date(2024, 1, 1), date(2025, 1, 1)) == Fraction(366, 365)
    assert fraction("ACT/ACT-ISDA", date(2023, 12, 1), date(2024, 3, 1)) == Fraction(
        31, 365
    ) + Fraction(60, 366)


def test_unknown_day_count_is_a_specific_error() -> None:
    with pytest.raises(UnknownConvention) as error:
        day_count("ACT/ACT")
    assert isinstance(error.value, ValueError) and isinstance(error.value, AnalyticsError)
    assert (error.value.code, error.value.field) == ("analytics.unknown_convention", "day_count")
    with pytest.raises(UnknownConvention):
        BondTerms(date(2020, 1, 1), date(2030, 1, 1), Decimal("0.05"), day_count="ACT/365")


def test_sebi_uses_366_for_every_period_of_a_coupon_year_with_29_february() -> None:
    # SEBI circular CIR/IMD/DF-1/122/2016: "for a half yearly interest payment, 366 days
    # would be reckoned twice as the denominator". Coupon year 15 Jul 2023 - 15 Jul 2024
    # contains 29 Feb 2024: both half-years divide by 366; the next year's by 365.
    terms = INDIA_CORPORATE.terms(
        date(2022, 7, 15),
        date(2027, 7, 15),
        Decimal("0.09"),
        frequency=2,
        face_value=Decimal(1000),
        calendar="WEEKENDS",
    )
    payments = scheduled_payments(terms, 1, 6, date(2024, 1, 1), date(2025, 7, 31))
    amounts = [Fraction(p.amount, 10**6) for p in payments]
    assert amounts == [
        round(Fraction(1000 * 9, 100) * Fraction(184, 366), 6),  # 15 Jul 2023 - 15 Jan 2024
        round(Fraction(1000 * 9, 100) * Fraction(182, 366), 6),  # 15 Jan - 15 Jul 2024
        round(Fraction(1000 * 9, 100) * Fraction(184, 365), 6),  # 15 Jul 2024 - 15 Jan 2025
        round(Fraction(1000 * 9, 100) * Fraction(181, 365), 6),  # 15 Jan - 15 Jul 2025
    ]
    # An annual coupon is the full rate whether or not its year has 366 days.
    annual = INDIA_CORPORATE.terms(
        date(2022, 7, 15), date(2027, 7, 15), Decimal("0.09"), calendar="WEEKENDS"
    )
    assert {
        p.amount for p in scheduled_payments(annual, 1, 2, date(2023, 1, 1), date(2026, 1, 1))
    } == {900}


def schedule_dates(terms: BondTerms) -> list[date]:
    schedule = BondArray.of([terms]).schedule
    return [to_date(schedule.start[0]), *map(to_date, schedule.end)]


@pytest.mark.parametrize(
    ("stub", "first", "expected"),
    [
        (
            StubRule.SHORT_FIRST,
            None,
            [
                date(2025, 2, 10),
                date(2025, 6, 15),
                date(2025, 12, 15),
                date(2026, 6, 15),
                date(2026, 12, 15),
            ],
        ),
        (
            StubRule.LONG_FIRST,
            None,
            [date(2025, 2, 10), date(2025, 12, 15), date(2026, 6, 15), date(2026, 12, 15)],
        ),
        (
            StubRule.SHORT_LAST,
            None,
            [
                date(2025, 2, 10),
                date(2025, 8, 10),
                date(2026, 2, 10),
                date(2026, 8, 10),
                date(2026, 12, 15),
            ],
        ),
        (
            StubRule.LONG_LAST,
            None,
            [date(2025, 2, 10), date(2025, 8, 10), date(2026, 2, 10), date(2026, 12, 15)],
        ),
        (
            StubRule.SHORT_FIRST,
            date(2025, 12, 15),
            [date(2025, 2, 10), date(2025, 12, 15), date(2026, 6, 15), date(2026, 12, 15)],
        ),
        (
            StubRule.SHORT_LAST,
            date(2025, 4, 1),
            [
                date(2025, 2, 10),
                date(2025, 4, 1),
                date(2025, 10, 1),
                date(2026, 4, 1),
                date(2026, 10, 1),
                date(2026, 12, 15),
            ],
        ),
    ],
)
def test_stub_rules(stub: StubRule, first: date | None, expected: list[date]) -> None:
    terms = BondTerms(
        date(2025, 2, 10), date(2026, 12, 15), Decimal("0.05"), 2, stub=stub, first_coupon=first
    )
    assert schedule_dates(terms) == expected


def test_end_of_month_rule() -> None:
    on = BondTerms(date(2024, 1, 5), date(2026, 2, 28), Decimal("0.05"), 2)
    off = BondTerms(date(2024, 1, 5), date(2026, 2, 28), Decimal("0.05"), 2, end_of_month=False)
    assert schedule_dates(on)[1:4] == [date(2024, 2, 29), date(2024, 8, 31), date(2025, 2, 28)]
    assert schedule_dates(off)[1:4] == [date(2024, 2, 28), date(2024, 8, 28), date(2025, 2, 28)]


@pytest.mark.parametrize(
    ("kwargs", "error", "code"),
    [
        ({"first_coupon": date(2025, 12, 10)}, InvalidSchedule, "analytics.invalid_schedule"),
        (
            {"first_coupon": date(2026, 12, 15), "stub": StubRule.SHORT_FIRST},
            InvalidSchedule,
            "analytics.invalid_schedule",
        ),
        ({"frequency": 3}, UnsupportedFrequency, "analytics.unsupported_frequency"),
        ({"maturity": date(2024, 1, 1)}, InvalidTerms, "analytics.invalid_terms"),
        ({"coupon_rate": Decimal("-0.01")}, InvalidTerms, "analytics.invalid_terms"),
        ({"calendar": "XYZ"}, UnknownCalendar, "analytics.unknown_calendar"),
    ],
)
def test_impossible_terms_are_rejected(
    kwargs: dict[str, object], error: type[AnalyticsError], code: str
) -> None:
    base: dict[str, object] = {
        "issue_date": date(2025, 2, 10),
        "maturity": date(2026, 12, 15),
        "coupon_rate": Decimal("0.05"),
    }
    with pytest.raises(error) as raised:
        BondTerms(**{**base, **kwargs})  # type: ignore[arg-type]
    assert raised.value.code == code


def test_impossible_settlements_and_prices_are_rejected() -> None:
    terms = BondTerms(date(2025, 2, 10), date(2026, 12, 15), Decimal("0.05"))
    with pytest.raises(SettlementAfterMaturity) as late:
        bond_price(terms, date(2026, 12, 15), 0.05)
    assert late.value.code == "analytics.settlement_after_maturity"
    with pytest.raises(SettlementBeforeIssue):
        bond_price(terms, date(2025, 2, 9), 0.05)
    for price in (0.0, -1.0):
        with pytest.raises(NonPositivePrice) as bad:
            bond_yield(terms, date(2025, 6, 1), price)
        assert bad.value.code == "analytics.non_positive_price"


def test_street_convention_uses_simple_interest_in_the_final_period() -> None:
    # Excel YIELD for one coupon remaining: (R + C/f - P - A) / (P + A) * f * E / DSR.
    terms = BondTerms(date(2024, 6, 15), date(2026, 6, 15), Decimal("0.06"), 2, "ACT/ACT-ICMA")
    settle = date(2026, 3, 1)
    dirty = bond_price(terms, settle, 0.05).dirty
    dsr, e = (date(2026, 6, 15) - settle).days, (date(2026, 6, 15) - date(2025, 12, 15)).days
    assert dirty == pytest.approx(103.0 / (1 + dsr / e * 0.05 / 2), rel=1e-15)
    compound = BondTerms(
        date(2024, 6, 15),
        date(2026, 6, 15),
        Decimal("0.06"),
        2,
        "ACT/ACT-ICMA",
        yield_convention=YieldConvention.COMPOUND,
    )
    assert bond_price(compound, settle, 0.05).dirty == pytest.approx(
        103.0 / 1.025 ** (dsr / e), rel=1e-15
    )


def test_trade_cash_rounds_once_half_even() -> None:
    # 7.26% 30/360 G-Sec, 44 days accrued, Rs 100 face: accrued per bond 0.88733... rupees.
    terms = BondTerms(date(2023, 2, 6), date(2033, 2, 6), Decimal("0.0726"), 2, "30/360")
    cash = trade_cash(terms, date(2025, 3, 20), 50_000, Decimal("101.25"), 2)
    exact = 50_000 * 100 * (Fraction("101.25") / 100 + Fraction("0.0726") * Fraction(44, 360))
    assert cash.total == round(exact * 100) == 510_686_667
    assert cash.accrued == 4_436_667 and cash.principal + cash.accrued == cash.total
    # Half to even, once: 0.125 -> 0.12 and 0.135 -> 0.14; a float would not be exact.
    assert to_minor_units(Fraction("0.125"), 2) == 12
    assert to_minor_units(Fraction("0.135"), 2) == 14
    assert to_minor_units(Fraction("-0.125"), 2) == -12
    # rounding once: 3 bonds at an accrued of 1/3 paisa each round to 1 paisa, not 0.
    third = BondTerms(
        date(2025, 1, 1), date(2030, 1, 1), Decimal("0.012"), 2, "30/360", face_value=Decimal("1")
    )
    cash = trade_cash(third, date(2025, 1, 11), 3, Decimal(100), 2)
    assert cash.total == 300 + round(Fraction(3 * 12, 1000) * Fraction(10, 360) * 100)


def test_ex_coupon_trade_pays_negative_accrued() -> None:
    terms = BondTerms(
        date(2023, 2, 6), date(2033, 2, 6), Decimal("0.0726"), 2, "30/360", ex_coupon_days=5
    )
    cash = trade_cash(terms, date(2025, 8, 3), 1000, Decimal(100), 2)
    assert cash.accrued == round(-1000 * 100 * Fraction("0.0726") * Fraction(3, 360) * 100)
    assert cash.accrued < 0 and cash.total == 1000 * 100 * 100 + cash.accrued


def test_par_curve_reprices_its_par_bonds() -> None:
    tenors = [0.25, 0.5, 1, 2, 3, 5, 7, 10, 30]
    yields = [0.06, 0.061, 0.062, 0.064, 0.065, 0.067, 0.068, 0.069, 0.071]
    for interpolation in Interpolation:
        curve = bootstrap_par_curve(date(2025, 1, 1), tenors, yields, 2, interpolation)
        for tenor, coupon in zip(tenors, yields, strict=True):
            pay = tenor - np.arange(int(np.ceil(tenor * 2 - 1e-9))) / 2
            accrual = np.diff(np.concatenate(([0.0], pay[::-1])))[::-1]
            assert coupon * accrual @ curve.discount(pay) + curve.discount(pay[:1])[
                0
            ] == pytest.approx(1, abs=1e-13)


def test_nelson_siegel_svensson_fit_recovers_prices() -> None:
    truth = NelsonSiegelSvensson(date(2025, 1, 1), 0.07, -0.012, 0.015, -0.01, 1.5, 7.0)
    terms = [
        BondTerms(
            date(2024, 1, 15), date(2025 + n, 1 + n % 12, 15), Decimal(5 + n % 4) / 100, 2, "30/360"
        )
        for n in range(1, 31)
    ]
    flows = cashflows(BondArray.of(terms), date(2025, 1, 1))
    t = (flows.day - flows.settlement[flows.bond]) / 365.0
    dirty = np.bincount(flows.bond, flows.amount * truth.discount(t))
    fitted = fit_nelson_siegel_svensson(flows, dirty - flows.accrued, date(2025, 1, 1))
    refitted = np.bincount(flows.bond, flows.amount * fitted.discount(t))
    assert refitted == pytest.approx(dirty, abs=1e-6)


def test_curve_key_rate_durations_are_node_sensitivities() -> None:
    # With linear zero interpolation and nodes at the key tenors, moving one node is exactly
    # the tent shift of that key rate, so key-rate durations are finite differences in nodes.
    keys = [0.5, 1.0, 2.0, 5.0, 10.0, 30.0]
    rates = np.array([0.060, 0.062, 0.064, 0.067, 0.069, 0.071])
    reference = date(2025, 1, 1)
    terms = [
        BondTerms(date(2024, 3, 10), date(2025 + n, 3, 10), Decimal("0.07"), 2, "ACT/ACT-ICMA")
        for n in (1, 3, 7, 12, 25)
    ]
    flows = cashflows(BondArray.of(terms), reference)
    curve = ZeroCurve(reference, np.array(keys), rates, Interpolation.LINEAR_ZERO)
    krd = curve_key_rate_durations(flows, curve, 0.004, keys)
    base = fair_value(flows, curve, 0.004).dirty
    h = 1e-6
    for i in range(len(keys)):
        up = fair_value(
            flows,
            ZeroCurve(
                reference,
                np.array(keys),
                rates + h * (np.arange(6) == i),
                Interpolation.LINEAR_ZERO,
            ),
            0.004,
        ).dirty
        down = fair_value(
            flows,
            ZeroCurve(
                reference,
                np.array(keys),
                rates - h * (np.arange(6) == i),
                Interpolation.LINEAR_ZERO,
            ),
            0.004,
        ).dirty
        assert krd[:, i] == pytest.approx((down - up) / (2 * h) / base, rel=1e-6, abs=1e-9)
    spread_duration = (
        fair_value(flows, curve, 0.004 - h).dirty - fair_value(flows, curve, 0.004 + h).dirty
    )
    assert krd.sum(axis=1) == pytest.approx(spread_duration / (2 * h) / base, rel=1e-6)

"""The pure rules: record and ex dates (and their agreement with the analytics' ex-coupon
accrual), amounts, tax, and the lifecycle's transition table."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from liquibond.analytics import (
    INDIA_CORPORATE,
    INDIA_GSEC,
    BondTerms,
    BusinessDayConvention,
    accrued_fraction,
    get_calendar,
    scheduled_payments,
)
from liquibond.corporate_actions.rules import (
    TRANSITIONS,
    ActionKind,
    ActionStatus,
    Amounts,
    Step,
    accrual_start,
    call_amounts,
    due_amounts,
    key_dates,
    next_status,
    payable,
    scheduled_dues,
)

NSE = get_calendar("NSE")
RBI = get_calendar("RBI")
# Coupon dates whose settlement window and payment lie inside the shipped calendars.
DUE_DATES = st.dates(date(2025, 3, 1), date(2027, 11, 30)).filter(
    lambda d: (d.month, d.day) != (2, 29)
)


def corporate(due: date, **overrides: Any) -> BondTerms:
    """A 9% annual SEBI bond paying on `due`, with the record date rule of listed debt."""
    return INDIA_CORPORATE.terms(
        due.replace(year=due.year - 1),
        due.replace(year=due.year + 2),
        Decimal("0.09"),
        face_value=Decimal(100),
        **overrides,
    )


def test_listed_debt_records_15_days_before_the_due_date_or_the_business_day_before() -> None:
    # Wednesday 16 December 2026: 1 December is a Tuesday.
    assert key_dates(date(2026, 12, 16), date(2026, 12, 16), NSE, government=False).record_date == (
        date(2026, 12, 1)
    )
    # 21 December: 6 December is a Sunday, so Friday the 4th.
    assert key_dates(date(2026, 12, 21), date(2026, 12, 21), NSE, government=False).record_date == (
        date(2026, 12, 4)
    )
    # 9 December: 24 November is an NSE holiday (Guru Nanak Jayanti), so Monday the 23rd.
    dates = key_dates(date(2026, 12, 9), date(2026, 12, 9), NSE, government=False)
    assert (dates.record_date, dates.ex_date) == (date(2026, 11, 23), date(2026, 11, 23))


def test_government_securities_record_the_business_day_before_payment() -> None:
    # Due on Christmas (Friday 25 December 2026), paid Monday 28: the business day before
    # the payment is Thursday 24 December.
    dates = key_dates(date(2026, 12, 25), date(2026, 12, 28), NSE, government=True)
    assert (dates.record_date, dates.ex_date, dates.payment_date) == (
        date(2026, 12, 24),
        date(2026, 12, 24),
        date(2026, 12, 28),
    )


@given(due=DUE_DATES, before=st.integers(1, 40))
def test_listed_debt_settles_ex_coupon_exactly_after_its_record_date(
    due: date, before: int
) -> None:
    settles = due - timedelta(days=before)
    if not NSE.is_business_day(settles):
        return  # trades settle on business days only
    record = key_dates(due, due, NSE, government=False).record_date
    # The analytics pay the seller (negative accrued) exactly when the register, read at
    # the record date's close, does not have the buyer.
    assert (accrued_fraction(corporate(due), settles) < 0) is (settles > record)


@given(due=DUE_DATES, before=st.integers(1, 40))
def test_a_gsec_has_no_settlement_day_in_its_shut_period(due: date, before: int) -> None:
    settles = due - timedelta(days=before)
    if not NSE.is_business_day(settles):
        return
    terms = INDIA_GSEC.terms(
        due.replace(year=due.year - 1), due.replace(year=due.year + 2), Decimal("0.0726")
    )
    paid = RBI.adjust(due, BusinessDayConvention.FOLLOWING)
    record = key_dates(due, paid, NSE, government=True).record_date
    assert settles <= record and accrued_fraction(terms, settles) >= 0


def test_only_the_transition_table_moves_an_event() -> None:
    assert TRANSITIONS == {
        (ActionStatus.SCHEDULED, Step.ENTITLE): ActionStatus.ENTITLED,
        (ActionStatus.SCHEDULED, Step.HOLD): ActionStatus.HELD,
        (ActionStatus.HELD, Step.HOLD): ActionStatus.HELD,
        (ActionStatus.HELD, Step.ENTITLE): ActionStatus.ENTITLED,
        (ActionStatus.HELD, Step.CANCEL): ActionStatus.CANCELLED,
        (ActionStatus.ENTITLED, Step.PAY): ActionStatus.PAID,
        (ActionStatus.ENTITLED, Step.DEFAULT): ActionStatus.DEFAULTED,
        (ActionStatus.SCHEDULED, Step.CANCEL): ActionStatus.CANCELLED,
        (ActionStatus.ENTITLED, Step.CANCEL): ActionStatus.CANCELLED,
    }
    for status in (ActionStatus.PAID, ActionStatus.DEFAULTED, ActionStatus.CANCELLED):
        assert all(next_status(status, step) is None for step in Step)  # final
    assert next_status(ActionStatus.SCHEDULED, Step.PAY) is None  # never before the register
    assert next_status(ActionStatus.HELD, Step.PAY) is None  # nor while two registers disagree


def test_tax_is_withheld_from_interest_only_rounded_half_to_even() -> None:
    owed = payable(1_000, Amounts(interest=363_005, principal=10_000_00), Decimal(10))
    assert (owed.gross, owed.tax, owed.net) == (1_363_005, 36_300, 1_326_705)  # 36,300.5
    assert payable(1, Amounts(interest=15, principal=0), Decimal(10)).tax == 2  # 1.5
    assert payable(1, Amounts(interest=25, principal=0), Decimal(10)).tax == 2  # 2.5
    assert payable(1, Amounts(interest=7, principal=0), Decimal("12.5")).tax == 1  # 0.875
    assert payable(1, Amounts(interest=900, principal=0), Decimal(0)).net == 900


def test_a_holding_is_paid_exactly_not_units_times_a_rounded_unit_amount() -> None:
    # 6.79% G-sec, ₹100 face: 339.5 paise a unit each half-year.
    terms = INDIA_GSEC.terms(date(2024, 10, 7), date(2034, 10, 7), Decimal("0.0679"))
    due = date(2026, 10, 7)
    assert due_amounts(terms, due, 1, 2) == Amounts(interest=340, principal=0)  # 339.5 -> 340
    assert due_amounts(terms, due, 1_000, 2) == Amounts(interest=339_500, principal=0)
    assert due_amounts(terms, due, 3, 2).interest == 1_018  # 1,018.5 -> 1,018


def test_a_redemption_pays_principal_and_the_final_coupon() -> None:
    terms = INDIA_GSEC.terms(date(2016, 5, 24), date(2026, 5, 24), Decimal("0.07"))
    assert due_amounts(terms, date(2026, 5, 24), 10, 2) == Amounts(
        interest=3_500, principal=100_000
    )
    [due] = scheduled_dues(terms, date(2026, 5, 1), date(2026, 5, 31))
    assert (due.kind, due.period_start, due.payment_date) == (
        ActionKind.REDEMPTION,
        date(2025, 11, 24),
        date(2026, 5, 22),  # the Sunday's redemption is paid the Friday before
    )


def test_the_schedule_skips_payments_the_calendar_cannot_date_yet() -> None:
    terms = INDIA_GSEC.terms(date(2025, 6, 15), date(2030, 6, 15), Decimal("0.07"))
    dues = scheduled_dues(terms, date(2027, 1, 1), date(2028, 12, 31))
    assert [d.due_date for d in dues] == [date(2027, 6, 15), date(2027, 12, 15)]  # not 2028
    assert all(d.kind is ActionKind.COUPON for d in dues)


@pytest.mark.parametrize(
    ("called", "start"),
    [
        (date(2026, 7, 1), date(2025, 12, 16)),
        (date(2026, 12, 15), date(2025, 12, 16)),
        (date(2026, 12, 16), date(2026, 12, 16)),  # on a coupon date (paid by that coupon)
    ],
)
def test_a_call_pays_its_price_and_the_interest_accrued_to_it(called: date, start: date) -> None:
    terms = corporate(date(2026, 12, 16))
    assert accrual_start(terms, called) == start
    paid = call_amounts(terms, called, Decimal("101.5"), 1_000, 2)
    assert paid.principal == 1_000 * 101_50
    assert paid.interest == round(1_000 * 900 * Fraction((called - start).days, 365))
    # Inside the ex-coupon period a call still pays the running coupon.
    late = call_amounts(terms, date(2026, 12, 10), Decimal(100), 1, 2)
    assert late.interest > 0


def test_a_scheduled_coupon_matches_the_analytics_payment() -> None:
    terms = corporate(date(2026, 12, 16), frequency=2)
    [payment] = scheduled_payments(terms, 7, 2, date(2026, 12, 16), date(2026, 12, 16))
    assert due_amounts(terms, date(2026, 12, 16), 7, 2).interest == payment.amount

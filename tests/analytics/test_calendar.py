"""Holiday calendars, settlement dates and the Indian payment-date rules."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from importlib import resources

import pytest

from liquibond.analytics import (
    INDIA_CORPORATE,
    INDIA_GSEC,
    BusinessDayConvention,
    CalendarCoverageError,
    UnknownCalendar,
    UnknownConvention,
    accrued_interest,
    calendar_codes,
    get_calendar,
    scheduled_payments,
    settlement_date,
)

FOLLOWING = BusinessDayConvention.FOLLOWING
PRECEDING = BusinessDayConvention.PRECEDING
MODIFIED_FOLLOWING = BusinessDayConvention.MODIFIED_FOLLOWING


def test_known_holidays_and_weekends() -> None:
    rbi, nse = get_calendar("RBI"), get_calendar("NSE")
    assert not rbi.is_business_day(date(2025, 10, 21))  # Diwali Amavasya (Laxmi Pujan)
    assert not nse.is_business_day(date(2025, 10, 21))
    assert not rbi.is_business_day(date(2025, 2, 19))  # Shivaji Jayanti: Mumbai banks, not NSE
    assert nse.is_business_day(date(2025, 2, 19))
    assert not rbi.is_business_day(date(2025, 9, 8))  # Id-E-Milad, moved from 5 September
    assert rbi.is_business_day(date(2025, 9, 5))
    assert not nse.is_business_day(date(2026, 1, 15))  # Maharashtra municipal elections
    assert not rbi.is_business_day(date(2025, 6, 7))  # a Saturday (and Bakri Id)
    assert not rbi.is_business_day(date(2025, 6, 8))  # a Sunday
    assert rbi.is_business_day(date(2025, 6, 9))
    weekends = get_calendar("WEEKENDS")
    assert weekends.is_business_day(date(2025, 10, 21))
    assert not weekends.is_business_day(date(1999, 1, 2))


def test_settlement_t_plus_one_over_a_holiday() -> None:
    # Friday 5 Sep 2025 T+1: Saturday, Sunday, Monday 8 Sep (RBI holiday) -> Tuesday 9 Sep.
    assert settlement_date(date(2025, 9, 5), 1, "RBI") == date(2025, 9, 9)
    assert settlement_date(date(2025, 9, 5), 1, "NSE") == date(2025, 9, 8)
    # T+1 over the two-day Diwali closure (21-22 Oct 2025).
    assert settlement_date(date(2025, 10, 20), 1, "NSE") == date(2025, 10, 23)
    assert settlement_date(date(2025, 10, 20), 0, "NSE") == date(2025, 10, 20)
    assert settlement_date(date(2025, 10, 21), 0, "NSE") == date(2025, 10, 23)


def test_business_day_conventions() -> None:
    rbi = get_calendar("RBI")
    holiday = date(2025, 10, 21)
    assert rbi.adjust(holiday, FOLLOWING) == date(2025, 10, 23)
    assert rbi.adjust(holiday, PRECEDING) == date(2025, 10, 20)
    assert rbi.adjust(holiday, BusinessDayConvention.UNADJUSTED) == holiday
    # 31 May 2025 is a Saturday: following crosses into June, modified following does not.
    assert rbi.adjust(date(2025, 5, 31), FOLLOWING) == date(2025, 6, 2)
    assert rbi.adjust(date(2025, 5, 31), MODIFIED_FOLLOWING) == date(2025, 5, 30)
    assert rbi.advance(date(2025, 10, 23), -1) == date(2025, 10, 20)
    with pytest.raises(UnknownConvention) as error:
        BusinessDayConvention.of("nearest")
    assert error.value.code == "analytics.unknown_convention"


def test_dates_outside_the_data_years_are_refused() -> None:
    rbi = get_calendar("RBI")
    assert (rbi.first_year, rbi.last_year) == (2025, 2027)
    with pytest.raises(CalendarCoverageError) as error:
        rbi.is_business_day(date(2028, 1, 4))
    assert error.value.code == "analytics.calendar_out_of_range"
    with pytest.raises(CalendarCoverageError):  # the answer itself would fall in 2028
        settlement_date(date(2027, 12, 31), 1, "RBI")
    # 2027 is provisional (fixed-date holidays only) but lets settlement cross the year end.
    assert settlement_date(date(2026, 12, 31), 1, "RBI") == date(2027, 1, 1)


def test_unknown_calendar() -> None:
    for code in ("LSE", "rbi", "../rbi"):
        with pytest.raises(UnknownCalendar) as error:
            get_calendar(code)
        assert error.value.code == "analytics.unknown_calendar"
    assert set(calendar_codes()) == {"WEEKENDS", "RBI", "NSE"}


def test_holiday_files_are_versioned_and_sourced() -> None:
    folder = resources.files("liquibond.analytics").joinpath("calendars")
    for market in ("rbi", "nse"):
        for year in (2025, 2026, 2027):
            document = json.loads(
                folder.joinpath(market, f"{year}.json").read_text(encoding="utf-8")
            )
            assert document["market"] == market.upper() and document["year"] == year
            assert (
                document["version"]
                and document["source"]
                and document["status"] in ("official", "provisional")
            )
            days = [date.fromisoformat(h["date"]) for h in document["holidays"]]
            assert days == sorted(set(days)) and all(d.year == year for d in days)
    assert get_calendar("RBI").provisional_years == (2026, 2027)
    assert get_calendar("NSE").provisional_years == (2027,)


def test_indian_coupon_on_a_holiday_is_paid_next_business_day_without_shifting_schedule() -> None:
    # A G-Sec paying 21 Apr / 21 Oct: 21 Oct 2025 is Diwali; the coupon is paid on Thursday
    # 23 Oct (22 Oct is also a holiday), the next coupon is still due on 21 Apr 2026.
    gsec = INDIA_GSEC.terms(date(2020, 10, 21), date(2030, 10, 21), Decimal("0.0658"))
    payments = scheduled_payments(gsec, 100, 2, date(2025, 10, 1), date(2026, 4, 30))
    assert [(p.due_date, p.payment_date) for p in payments] == [
        (date(2025, 10, 21), date(2025, 10, 23)),
        (date(2026, 4, 21), date(2026, 4, 21)),
    ]
    assert {p.amount for p in payments} == {32900}  # 100 x Rs 100 x 6.58% / 2, in paise


def test_indian_redemption_on_a_holiday_is_paid_previous_business_day() -> None:
    # Maturity on Sunday 24 May 2026: redemption and last coupon are paid on Friday 22 May.
    gsec = INDIA_GSEC.terms(date(2016, 5, 24), date(2026, 5, 24), Decimal("0.07"))
    *_, coupon, redemption = scheduled_payments(gsec, 10, 2, date(2026, 5, 1), date(2026, 5, 31))
    assert (coupon.payment_date, redemption.payment_date) == (date(2026, 5, 22), date(2026, 5, 22))
    assert (coupon.amount, redemption.amount) == (3500, 100000)  # G-Sec coupon stays half the rate
    # SEBI: a corporate bond redeemed early pays interest only up to the payment date
    # (circular CIR/IMD/DF/18/2013): 363 of 365 days of the last annual coupon.
    corporate = INDIA_CORPORATE.terms(
        date(2021, 5, 24), date(2026, 5, 24), Decimal("0.089"), face_value=Decimal(100000)
    )
    *_, last, principal = scheduled_payments(corporate, 1, 2, date(2026, 5, 1), date(2026, 5, 31))
    assert last.payment_date == date(2026, 5, 22)
    assert last.amount == round(100000 * Decimal("0.089") * 363 / 365 * 100)
    assert principal.amount == 100000 * 100


def test_ex_coupon_in_business_days_counts_holidays() -> None:
    # Two NSE business days before Thursday 23 Oct 2025 skip Diwali (21-22 Oct) and the
    # weekend: Monday 20 and Friday 17 October, so settlement from the 17th is ex-coupon.
    terms = INDIA_GSEC.terms(
        date(2020, 10, 23),
        date(2030, 10, 23),
        Decimal("0.06"),
        calendar="NSE",
        ex_coupon_days=2,
        ex_coupon_business_days=True,
    )
    assert get_calendar("NSE").advance(date(2025, 10, 23), -2) == date(2025, 10, 17)
    assert accrued_interest(terms, date(2025, 10, 16)) == pytest.approx(6 * 173 / 360, abs=1e-13)
    assert accrued_interest(terms, date(2025, 10, 17)) == pytest.approx(-6 * 6 / 360, abs=1e-13)

"""The valuation and document cores, without a database."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from liquibond.analytics import INDIA_GSEC, bond_risk, bond_yield
from liquibond.portfolio import documents
from liquibond.portfolio.valuation import (
    Mark,
    MarkSource,
    average_price,
    choose_mark,
    value_position,
    weighted_average,
)
from tests.portfolio.conftest import pdf_text

GSEC = INDIA_GSEC.terms(
    date(2022, 1, 6), date(2032, 1, 6), Decimal("0.0726"), face_value=Decimal(100)
)


def test_a_position_is_valued_exactly_with_analytics_figures_beside() -> None:
    settles = date(2026, 3, 16)  # 70 days (30/360) after the 6 January coupon
    figures = value_position(GSEC, settles, 300, Decimal("101.2525"), 2)
    assert figures is not None
    assert figures.clean == 30_375_75  # 300 x ₹100 x 101.2525% = 30,375.75 exactly
    # 300 x ₹100 x 7.26% x 70/360 = 423.50
    assert (figures.accrued, figures.dirty) == (423_50, 30_799_25)
    yield_ = bond_yield(GSEC, settles, 101.2525)
    assert figures.yield_percent == pytest.approx(yield_ * 100)
    risk = bond_risk(GSEC, settles, yield_)
    assert figures.modified_duration == pytest.approx(risk.modified)
    assert figures.dv01 == pytest.approx(risk.dv01 * 300)
    assert value_position(GSEC, date(2032, 2, 1), 1, Decimal(100), 2) is None  # matured


def test_marks_costs_and_weights() -> None:
    assert choose_mark(Decimal("100.5"), 99.0) == Mark(Decimal("100.5"), MarkSource.LAST_TRADE)
    curve = choose_mark(None, 99.1234567)
    assert curve is not None and (curve.price, curve.source) == (
        Decimal("99.123457"),
        MarkSource.CURVE,
    )
    assert choose_mark(None, None) is None and choose_mark(None, -1.0) is None
    assert average_price(30_200_00, 300, Decimal(100), 2) == Decimal("100.666667")
    assert average_price(0, 0, Decimal(100), 2) is None
    assert weighted_average([(100, 7.0), (300, 8.0), (50, None), (0, 99.0)]) == 7.75
    assert weighted_average([]) is None


def test_amounts_are_written_for_people() -> None:
    assert documents.money(123_456_789, 2, "INR") == "INR 12,34,567.89"
    assert documents.money(-5, 2) == "-0.05"
    assert documents.money(123_456_789, 2, "USD") == "USD 1,234,567.89"
    assert documents.money(1_000, 0) == "1,000"
    assert documents.decimal_amount(-1_005_000, 2) == "-10050.00"
    assert documents.price_text(Decimal("100.5")) == "100.50"
    assert documents.price_text(Decimal("99.0025")) == "99.0025"
    assert documents.latin("₹ 100 — Ünïcødé 漢") == "Rs. 100 ? Ünïcødé ?"
    assert documents.mask_email("asha.rao@example.com") == "a*******@example.com"
    assert documents.mask_email("a@x.in") == "a***@x.in"


def _statement(trades: int) -> documents.Statement:
    holder = documents.Holder("Asha Rao", "0192f0c4-0000-7000-8000-000000000001", "a***@x.in")
    trade = documents.TradeLine(
        trade_date=date(2026, 1, 15),
        settlement_date=date(2026, 1, 16),
        note_number="CN-20260115-IN0020220102-000042-B",
        isin="IN0020220102",
        side="buy",
        quantity=100,
        price=Decimal("100.5"),
        clean=10_050_00,
        accrued=20_17,
        fee=10_05,
        cash=-10_080_22,
        currency="INR",
        scale=2,
    )
    payout = documents.PayoutLine(
        payment_date=date(2026, 1, 6),
        record_date=date(2025, 12, 22),
        isin="IN0020220102",
        kind="coupon",
        units=300,
        gross=1_089_00,
        tax=108_90,
        net=980_10,
        currency="INR",
        scale=2,
    )
    return documents.Statement(
        number="ST-1",
        issued_at=datetime(2026, 2, 1, 9, 0),
        holder=holder,
        start=date(2026, 1, 1),
        end=date(2026, 1, 31),
        positions=[
            documents.PositionLine(
                "IN0020220102", "7.26% GS 2032", 100_00, "INR", 2, 0, 300, 30_150_00, 0
            )
        ],
        trades=[trade] * trades,
        payouts=[payout],
        cash=[documents.CashLine(date(2026, 1, 2), "deposit", "Deposit", 1_00_000_00, "INR", 2)],
        summaries=[
            documents.CashSummary(
                "INR", 2, 0, (("deposit", 1_00_000_00), ("trades", -10_080_22)), 89_919_78, 10_05
            )
        ],
    )


def test_a_long_statement_runs_over_numbered_pages_with_every_section() -> None:
    pages, text = pdf_text(documents.statement_pdf(_statement(trades=60)))
    assert pages >= 3
    for page in range(1, pages + 1):
        assert f"Page {page} of {pages}" in text
    assert text.count("CN-20260115-IN0020220102-000042-B") == 60
    for expected in ("Coupons and redemptions", "1,089.00", "108.90", "INR 980.10", "89,919.78"):
        assert expected in text
    rows = documents.statement_csv(_statement(trades=2)).split("\n\n")
    assert [block.split("\n")[0] for block in rows[:-1]] == [
        "Statement",
        "Cash summary",
        "Positions",
        "Trades",
        "Coupons and redemptions",
        "Cash movements",
    ]
    assert "2026-01-06,2025-12-22,IN0020220102,coupon,300,1089.00,108.90,980.10,INR" in rows[4]

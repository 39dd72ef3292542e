"""The auction lifecycle table and schedule, and what bids reserve and winners pay (pure)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal, localcontext

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from liquibond.analytics import INDIA_GSEC, BondTerms
from liquibond.auctions.cash import PAR, AuctionCash, new_issue_price
from liquibond.auctions.clearing import Basis, Pricing
from liquibond.auctions.lifecycle import (
    OPEN_STATUSES,
    TRANSITIONS,
    AuctionStatus,
    Step,
    due_step,
    next_status,
)
from liquibond.auctions.models import UNDER_WAY_SQL

S = AuctionStatus
T0 = datetime(2026, 3, 2, 4, 30, tzinfo=UTC)
ISSUED = date(2026, 3, 2)


def test_the_happy_path_and_nothing_else() -> None:
    path = [Step.ANNOUNCE, Step.OPEN, Step.CLOSE, Step.CLEAR, Step.SETTLE]
    status = S.DRAFT
    for step in path:
        after = next_status(status, step)
        assert after is not None, (status, step)
        status = after
    assert status is S.SETTLED
    assert next_status(S.BIDDING, Step.NEXT_ROUND) is S.BIDDING
    # Cancelled from anything before settlement; never from settled or cancelled.
    assert {s for s in S if next_status(s, Step.CANCEL) is S.CANCELLED} == OPEN_STATUSES
    for terminal in (S.SETTLED, S.CANCELLED):
        assert all(next_status(terminal, step) is None for step in Step)
    # No step skips ahead.
    assert next_status(S.ANNOUNCED, Step.CLOSE) is None
    assert next_status(S.BIDDING, Step.CLEAR) is None
    assert next_status(S.CLOSED, Step.SETTLE) is None
    assert len(TRANSITIONS) == 11


def _due(status: AuctionStatus, now: datetime, today: date = ISSUED) -> Step | None:
    return due_step(
        status,
        now,
        today,
        announce_at=T0,
        opens_at=T0 + timedelta(hours=1),
        closes_at=T0 + timedelta(hours=2),
        settles_on=ISSUED + timedelta(days=1),
    )


def test_what_falls_due_when() -> None:
    assert _due(S.DRAFT, T0 - timedelta(seconds=1)) is None
    assert _due(S.DRAFT, T0) is Step.ANNOUNCE
    assert _due(S.ANNOUNCED, T0) is None
    assert _due(S.ANNOUNCED, T0 + timedelta(hours=1)) is Step.OPEN
    assert _due(S.BIDDING, T0 + timedelta(hours=2) - timedelta(microseconds=1)) is None
    assert _due(S.BIDDING, T0 + timedelta(hours=2)) is Step.CLOSE
    assert _due(S.CLOSED, T0) is Step.CLEAR  # as soon as closed
    assert _due(S.CLEARED, T0 + timedelta(hours=3)) is None
    assert _due(S.CLEARED, T0, ISSUED + timedelta(days=1)) is Step.SETTLE
    assert _due(S.SETTLED, T0 + timedelta(days=9), ISSUED + timedelta(days=9)) is None
    assert _due(S.CANCELLED, T0 + timedelta(days=9), ISSUED + timedelta(days=9)) is None


# -- cash ----------------------------------------------------------------------------------------

NEW_GSEC = INDIA_GSEC.terms(ISSUED, date(2036, 3, 2), Decimal("0.07"), frequency=2)


def hand_price(yield_percent: str, coupon_percent: str, years: int = 10) -> Decimal:
    """A bond's clean price on a coupon date, by the textbook sum (semi-annual)."""
    with localcontext() as context:
        context.prec = 50
        y, c = Decimal(yield_percent) / 200, Decimal(coupon_percent) / 2
        periods = 2 * years
        discount = [(1 + y) ** -k for k in range(1, periods + 1)]
        return c * sum(discount) + 100 * discount[-1]


def test_a_new_issue_pays_par_at_the_cut_off_and_a_premium_below_it() -> None:
    assert new_issue_price(NEW_GSEC, ISSUED, Decimal("7.2"), Decimal("7.2")) == PAR
    paid = new_issue_price(NEW_GSEC, ISSUED, Decimal("7.1"), Decimal("7.2"))
    expected = (100 + hand_price("7.1", "7.2") - hand_price("7.2", "7.2")).quantize(
        Decimal("0.0001"), ROUND_HALF_EVEN
    )
    assert paid == expected
    assert paid > PAR


def _cash(pricing: Pricing, basis: Basis = Basis.YIELD, **kw: Decimal) -> AuctionCash:
    terms: BondTerms = NEW_GSEC
    return AuctionCash(basis, pricing, terms, ISSUED, 2, kw.get("low"), kw.get("high"))


def test_reservations() -> None:
    uniform = _cash(Pricing.UNIFORM)
    # 1,000 units of Rs 100 at par: Rs 1,00,000 in paise, with or without a yield.
    assert uniform.reservation(1_000, Decimal("7.1")) == 1_000 * 100_00
    assert uniform.reservation(1_000, None) == 1_000 * 100_00
    multiple = _cash(Pricing.MULTIPLE, low=Decimal("6.5"), high=Decimal("7.5"))
    at_cap = new_issue_price(NEW_GSEC, ISSUED, Decimal("7.1"), Decimal("7.5"))
    assert multiple.reservation(1_000, Decimal("7.1")) == int(at_cap * 1_000 * 100)
    assert multiple.reservation(1_000, Decimal("7.5")) == 1_000 * 100_00
    floor_price = new_issue_price(NEW_GSEC, ISSUED, Decimal("6.5"), Decimal("7.5"))
    assert multiple.reservation(1_000, None) == int(floor_price * 1_000 * 100)
    priced = _cash(Pricing.UNIFORM, Basis.PRICE, high=Decimal("102"))
    assert priced.reservation(1_000, Decimal("101.25")) == 1_000 * 10_125
    assert priced.reservation(1_000, None) == 1_000 * 10_200
    with pytest.raises(ValueError, match="maximum price"):
        _cash(Pricing.UNIFORM, Basis.PRICE).reservation(1_000, None)


@settings(max_examples=60, deadline=None)
@given(
    bid=st.integers(500, 750),
    cut_off=st.integers(500, 750),
    cap=st.integers(500, 750),
    units=st.integers(1, 10**7),
)
def test_a_yield_bid_never_costs_more_than_it_reserved(
    bid: int, cut_off: int, cap: int, units: int
) -> None:
    """Whatever the cut-off (at most the cap, at least the bid), the price paid at the bid's
    yield fits the reservation made at the cap."""
    bid_yield, coupon, most = (Decimal(v).scaleb(-2) for v in sorted((bid, cut_off, cap)))
    cash = _cash(Pricing.MULTIPLE, low=Decimal("5"), high=most)
    reserved = cash.reservation(units, bid_yield)
    price = cash.clean_price(bid_yield, coupon)
    assert cash.payment(units, price, coupon).total <= reserved


def test_the_database_guard_names_the_statuses_under_way() -> None:
    """The partial unique index on auctions spells out OPEN_STATUSES in SQL: keep them equal."""
    listed = UNDER_WAY_SQL.split("IN (")[1].rstrip(")")
    assert {name.strip(" '") for name in listed.split(",")} == {s.value for s in OPEN_STATUSES}

"""Trading hours and exposure limits: the pure rules behind two pre-trade checks."""

from __future__ import annotations

import uuid
from datetime import datetime, time
from decimal import Decimal

import pytest

from liquibond.trading.limits import Holding, Limits, check_buy, rating_bucket
from liquibond.trading.sessions import TradingHours
from liquibond.valuation.service import MARKET_TIME

NSE_HOURS = TradingHours(time(9), time(17), "NSE")


def ist(*args: int) -> datetime:
    return datetime(*args, tzinfo=MARKET_TIME)  # type: ignore[misc]


def test_round_the_clock_is_always_open_and_day_orders_last_to_midnight() -> None:
    always = TradingHours(None, None, "NSE")
    saturday_night = ist(2026, 11, 21, 23, 30)
    assert always.is_open(saturday_night)
    assert always.next_open(saturday_night) == saturday_night
    assert always.day_expiry(saturday_night) == ist(2026, 11, 22, 0, 0)


@pytest.mark.parametrize(
    ("moment", "is_open", "opens", "day_expires"),
    [
        # A Friday in session: open now, DAY orders expire at today's close.
        (ist(2026, 11, 20, 10), True, ist(2026, 11, 20, 10), ist(2026, 11, 20, 17)),
        # Friday before the open: the open is today.
        (ist(2026, 11, 20, 8), False, ist(2026, 11, 20, 9), ist(2026, 11, 20, 17)),
        # Friday after the close, and Saturday: the next open is Monday.
        (ist(2026, 11, 20, 17), False, ist(2026, 11, 23, 9), ist(2026, 11, 23, 17)),
        (ist(2026, 11, 21, 10), False, ist(2026, 11, 23, 9), ist(2026, 11, 23, 17)),
    ],
)
def test_sessions_follow_the_calendar(
    moment: datetime, is_open: bool, opens: datetime, day_expires: datetime
) -> None:
    assert NSE_HOURS.is_open(moment) is is_open
    assert NSE_HOURS.next_open(moment) == opens
    assert NSE_HOURS.day_expiry(moment) == day_expires


def test_a_holiday_is_closed() -> None:
    # 25 December 2026 (Christmas, a Friday) is an NSE holiday.
    christmas = ist(2026, 12, 25, 11)
    assert not NSE_HOURS.is_open(christmas)
    assert NSE_HOURS.next_open(christmas) == ist(2026, 12, 28, 9)


@pytest.mark.parametrize(
    ("rating", "bucket"),
    [
        ("SOV", "SOV"),
        ("Sovereign", "SOV"),
        ("CRISIL AAA", "AAA"),
        ("CARE AA+(CE)", "AA"),
        ("IND A-", "A"),
        ("BBB-", "BBB"),
        ("ICRA BB+", "SUB_IG"),
        ("D", "SUB_IG"),
        ("NR", "UNRATED"),
    ],
)
def test_rating_buckets(rating: str, bucket: str) -> None:
    assert rating_bucket(rating) == bucket


def _holding(issuer: uuid.UUID, bucket: str, units: int, face: int = 100) -> Holding:
    return Holding(uuid.uuid4(), issuer, bucket, face, 1_000, units)


def test_check_buy_names_the_first_limit_breached() -> None:
    issuer = uuid.uuid4()
    limits = Limits(Decimal(10), 50_000, {"SUB_IG": 20_000})
    bond = _holding(issuer, "AA", 0)
    held = [Holding(bond.instrument_id, issuer, "AA", 100, 1_000, 60)]
    assert check_buy(limits, held, Holding(**{**_fields(bond), "units": 40})) is None
    breach = check_buy(limits, held, Holding(**{**_fields(bond), "units": 41}))
    assert breach is not None and breach.code == "order.position_limit_exceeded"
    assert (breach.limit, breach.after) == (100, 101)

    other = [_holding(issuer, "AA", 450)]  # another bond of the same issuer: 45,000
    breach = check_buy(limits, other, Holding(**{**_fields(bond), "units": 60}))
    assert breach is not None and breach.code == "order.issuer_limit_exceeded"

    junk = _holding(uuid.uuid4(), "SUB_IG", 0)
    assert check_buy(limits, [], Holding(**{**_fields(junk), "units": 100})) is None
    breach = check_buy(
        limits, [_holding(uuid.uuid4(), "SUB_IG", 150)], Holding(**{**_fields(junk), "units": 60})
    )
    assert breach is not None and breach.code == "order.rating_limit_exceeded"


def _fields(holding: Holding) -> dict[str, object]:
    return {name: getattr(holding, name) for name in Holding.__slots__}

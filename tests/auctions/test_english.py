"""The English ascending auction: opening price, minimum increment, refusals, soft close."""

from __future__ import annotations

from decimal import Decimal

import pytest

from liquibond.auctions.clearing import BidderId
from liquibond.auctions.english import (
    EnglishAuction,
    LiveBid,
    Refusal,
    minimum_bid,
    place_bid,
    winner,
)

D = Decimal
ALICE, BOB, CAROL = BidderId(1), BidderId(2), BidderId(3)


def auction(soft_close: int = 60) -> EnglishAuction:
    """Open from t=1,000 to t=2,000 at 99.00 or more, in steps of at least 0.05."""
    return EnglishAuction(
        opens_at=1_000,
        closes_at=2_000,
        opening_price=D("99.00"),
        increment=D("0.05"),
        soft_close=soft_close,
    )


def accepted(state: EnglishAuction | Refusal) -> EnglishAuction:
    assert isinstance(state, EnglishAuction), state
    return state


def test_bids_climb_by_at_least_the_increment_and_the_best_is_shown() -> None:
    state = auction()
    assert minimum_bid(state) == D("99.00")
    state = accepted(place_bid(state, ALICE, D("99.00"), 1_000))
    assert state.best == LiveBid(ALICE, D("99.00"), 1_000)
    assert minimum_bid(state) == D("99.05")
    assert place_bid(state, BOB, D("99.04"), 1_100) is Refusal.BELOW_INCREMENT
    state = accepted(place_bid(state, BOB, D("99.05"), 1_100))
    state = accepted(place_bid(state, CAROL, D("100.00"), 1_200))  # a jump is fine
    assert state.best == LiveBid(CAROL, D("100.00"), 1_200)
    assert (state.bids, state.closes_at) == (3, 2_000)


def test_refusals_change_nothing() -> None:
    state = auction()
    assert place_bid(state, ALICE, D("98.99"), 1_500) is Refusal.BELOW_OPENING_PRICE
    assert place_bid(state, ALICE, D("99.50"), 999) is Refusal.NOT_OPEN
    assert place_bid(state, ALICE, D("99.50"), 2_000) is Refusal.CLOSED
    assert place_bid(state, ALICE, D("NaN"), 1_500) is Refusal.INVALID_PRICE
    assert place_bid(state, ALICE, D("-1"), 1_500) is Refusal.INVALID_PRICE
    state = accepted(place_bid(state, ALICE, D("99.50"), 1_500))
    assert place_bid(state, ALICE, D("99.60"), 1_600) is Refusal.ALREADY_LEADING
    assert state == accepted(place_bid(auction(), ALICE, D("99.50"), 1_500))


def test_a_bid_in_the_last_seconds_extends_the_close() -> None:
    state = auction(soft_close=60)
    state = accepted(place_bid(state, ALICE, D("99.00"), 1_939))  # 61 s before: no change
    assert state.closes_at == 2_000
    state = accepted(place_bid(state, BOB, D("99.05"), 1_940))  # 60 s before: extended
    assert state.closes_at == 2_060
    state = accepted(place_bid(state, ALICE, D("99.10"), 2_030))  # after the old close
    assert state.closes_at == 2_120
    assert place_bid(state, BOB, D("99.20"), 2_120) is Refusal.CLOSED


def test_without_a_soft_close_the_close_is_fixed() -> None:
    state = accepted(place_bid(auction(soft_close=0), ALICE, D("99.00"), 1_999))
    assert state.closes_at == 2_000


def test_the_winner_is_known_once_closed() -> None:
    state = accepted(place_bid(auction(), ALICE, D("99.00"), 1_990))
    assert winner(state, 2_000) is None  # extended to 2,060
    assert winner(state, 2_060) == LiveBid(ALICE, D("99.00"), 1_990)
    assert winner(auction(), 5_000) is None  # nobody bid


def test_bad_auctions_are_refused() -> None:
    with pytest.raises(ValueError, match="close after"):
        EnglishAuction(10, 10, D(99), D("0.05"), 0)
    with pytest.raises(ValueError, match="increment"):
        EnglishAuction(0, 10, D(99), D(0), 0)
    with pytest.raises(ValueError, match="opening_price"):
        EnglishAuction(0, 10, D(0), D(1), 0)
    with pytest.raises(ValueError, match="soft_close"):
        EnglishAuction(0, 10, D(99), D(1), -1)

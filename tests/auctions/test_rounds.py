"""Multi-round auctions: tranches, roll-over of unsold amounts, the cut-off as next reference."""

from __future__ import annotations

from decimal import Decimal

import pytest

from liquibond.auctions.clearing import AuctionRules, Basis, Bid, BidderId, BidId, Rounding
from liquibond.auctions.rounds import MultiRoundPlan, Round, clear_round, first_round

D = Decimal


def bid(bid_id: int, quantity: int, quote: str | None = None) -> Bid:
    return Bid(BidId(bid_id), BidderId(bid_id), quantity, None if quote is None else D(quote))


def test_three_rounds_ratchet_the_reference_and_roll_unsold_amounts_over() -> None:
    plan = MultiRoundPlan(AuctionRules(900), rounds=3, reserve=D("99.00"))
    one = first_round(plan)
    assert one == Round(number=1, remaining=900, offering=300, reference=D("99.00"))

    # Round 1: 200 at 100.50, then 100 of the 200 at 100.25; the bid under the reserve is refused.
    done = clear_round(
        plan, one, [bid(1, 200, "100.50"), bid(2, 200, "100.25"), bid(3, 50, "98.90")]
    )
    assert done.refused == (BidId(3),)
    assert (done.result.cut_off, done.result.total_allotted) == (D("100.25"), 300)
    two = done.next
    assert two == Round(number=2, remaining=600, offering=300, reference=D("100.25"))

    # Round 2: bids under 100.25 are refused; 200 sold of 300, the 100 left roll over.
    done = clear_round(
        plan, two, [bid(4, 100, "100.30"), bid(5, 100, "100.25"), bid(6, 100, "100.20")]
    )
    assert done.refused == (BidId(6),)
    assert done.result.undersubscribed
    assert done.result.total_allotted == 200
    three = done.next
    assert three == Round(number=3, remaining=400, offering=400, reference=D("100.25"))

    # Round 3, the last: everything left is offered; there is no round after it.
    done = clear_round(plan, three, [bid(8, 500, "100.40")])
    assert done.result.total_allotted == 400
    assert done.next is None


def test_on_a_yield_basis_the_cut_off_yield_is_the_next_maximum() -> None:
    plan = MultiRoundPlan(AuctionRules(200, basis=Basis.YIELD), rounds=2)
    one = first_round(plan)
    assert one.reference is None
    done = clear_round(plan, one, [bid(1, 60, "7.10"), bid(2, 80, "7.20"), bid(3, 50, "7.30")])
    assert done.result.cut_off == D("7.20")
    assert done.next == Round(number=2, remaining=100, offering=100, reference=D("7.20"))
    last = clear_round(plan, done.next, [bid(4, 100, "7.25"), bid(5, 100, "7.20")])
    assert last.refused == (BidId(4),)
    assert last.result.total_allotted == 100


def test_a_round_without_a_sale_keeps_the_reference_and_spreads_the_amount() -> None:
    plan = MultiRoundPlan(AuctionRules(900), rounds=3, reserve=D(100))
    done = clear_round(plan, first_round(plan), [bid(1, 100, "99")])
    assert done.result.cut_off is None
    assert done.next == Round(number=2, remaining=900, offering=450, reference=D(100))


def test_tranches_are_rounded_up_to_the_lot() -> None:
    plan = MultiRoundPlan(AuctionRules(1000, lot=100, rounding=Rounding.DOWN), rounds=3)
    one = first_round(plan)
    assert one.offering == 400
    done = clear_round(plan, one, [bid(1, 1000, "100")])
    assert done.next == Round(number=2, remaining=600, offering=300, reference=D(100))


def test_a_single_round_is_an_ordinary_auction() -> None:
    plan = MultiRoundPlan(AuctionRules(100), rounds=1)
    done = clear_round(plan, first_round(plan), [bid(1, 60, "100"), bid(2, 20, "99")])
    assert done.result.total_allotted == 80
    assert done.next is None


def test_a_plan_needs_a_round() -> None:
    with pytest.raises(ValueError, match="at least one round"):
        MultiRoundPlan(AuctionRules(100), rounds=0)

"""Sealed-bid clearing: the RBI worked example in both formats, undersubscription, each
rounding rule on hand-computed cases, caps, non-competitive pro-rata, the yield basis, the
US Treasury percentage rounding, and property tests of the invariants."""

from __future__ import annotations

import random
from collections import defaultdict
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from liquibond.auctions.clearing import (
    AuctionResult,
    AuctionRules,
    Award,
    Basis,
    Bid,
    BidderId,
    BidId,
    Pricing,
    Rounding,
    clear,
)

D = Decimal
CRORE = 10_000_000  # Rs 1 crore in units of Rs 1 of face


def bid(
    bid_id: int, quantity: int, quote: str | None = None, *, bidder: int = 0, ts: int = 0
) -> Bid:
    """A bid; the bidder defaults to one of its own (the bid id)."""
    return Bid(
        BidId(bid_id),
        BidderId(bidder or bid_id),
        quantity,
        None if quote is None else D(quote),
        ts,
    )


def by_id(result: AuctionResult) -> dict[int, Award]:
    return {a.bid_id: a for a in result.awards}


def quantities(result: AuctionResult) -> dict[int, int]:
    return {a.bid_id: a.quantity for a in result.awards}


# ---------------------------------------------------------------- the RBI worked example

# A re-issue bid in price, notified amount 1,000 crore, in units of 1 crore: 30 crore of
# non-competitive bids against a 5% (50 crore) reserve leave 970 for the competitive bids.
RBI_BIDS = [
    bid(1, 300, "101.25"),
    bid(2, 250, "101.10"),
    bid(3, 200, "101.00"),
    bid(4, 150, "100.95"),
    bid(5, 100, "100.95"),
    bid(6, 200, "100.90"),
    bid(7, 20),
    bid(8, 10),
]
RBI_AWARDS = {1: 300, 2: 250, 3: 200, 4: 132, 5: 88, 6: 0, 7: 20, 8: 10}


def rbi(
    pricing: Pricing,
    scale: int = 1,
    lot: int = 1,
    rounding: Rounding = Rounding.LARGEST_REMAINDER,
    average_places: int = 4,
) -> AuctionResult:
    """The example, its quantities times ``scale``, the bids given in reverse order."""
    bids = [Bid(b.bid_id, b.bidder, b.quantity * scale, b.quote, b.ts) for b in reversed(RBI_BIDS)]
    return clear(
        AuctionRules(
            offering=1000 * scale,
            pricing=pricing,
            lot=lot,
            rounding=rounding,
            non_competitive_share=D("0.05"),
            average_places=average_places,
        ),
        bids,
    )


def test_rbi_reissue_uniform_price() -> None:
    result = rbi(Pricing.UNIFORM)
    assert result.basis is Basis.PRICE
    assert result.cut_off == D("100.95")
    assert str(result.partial_allotment) == "88.00"
    assert quantities(result) == RBI_AWARDS
    assert result.non_competitive_allotted == 30
    assert result.competitive_allotted == 970
    assert result.total_allotted == 1000
    assert not result.undersubscribed
    assert str(result.bid_to_cover) == "1.23"  # (1,200 + 30) / 1,000
    assert str(result.weighted_average) == "101.0918"
    # Everyone, non-competitive bidders included, pays the cut-off.
    assert {a.quote for a in result.awards if a.quantity} == {D("100.95")}
    awards = by_id(result)
    assert awards[4].pro_rata == awards[5].pro_rata == Fraction(88, 100)
    assert awards[3].pro_rata is None
    assert awards[6].quote is None


def test_rbi_reissue_multiple_price() -> None:
    result = rbi(Pricing.MULTIPLE)
    assert result.cut_off == D("100.95")
    assert str(result.partial_allotment) == "88.00"
    assert quantities(result) == RBI_AWARDS
    awards = by_id(result)
    paid = {k: str(a.quote) for k, a in awards.items() if a.quantity}
    assert paid == {
        1: "101.25",
        2: "101.10",
        3: "101.00",
        4: "100.95",
        5: "100.95",
        # Non-competitive: (300 x 101.25 + 250 x 101.10 + 200 x 101.00 + 220 x 100.95) / 970
        # = 101.091752..., published to 4 decimals.
        7: "101.0918",
        8: "101.0918",
    }


@pytest.mark.parametrize("rounding", list(Rounding))
@pytest.mark.parametrize("pricing", list(Pricing))
def test_rbi_reissue_in_rupees_of_face(pricing: Pricing, rounding: Rounding) -> None:
    """The same auction in units of Rs 1 with a Rs 10,000 multiple: the same allotment."""
    result = rbi(pricing, scale=CRORE, lot=10_000, rounding=rounding)
    assert quantities(result) == {k: v * CRORE for k, v in RBI_AWARDS.items()}
    assert result.total_allotted == 1000 * CRORE
    assert (str(result.cut_off), str(result.partial_allotment)) == ("100.95", "88.00")
    assert str(result.weighted_average) == "101.0918"


def test_the_published_weighted_average_has_configurable_places() -> None:
    assert str(rbi(Pricing.MULTIPLE, average_places=2).weighted_average) == "101.09"
    assert str(rbi(Pricing.MULTIPLE, average_places=6).weighted_average) == "101.091753"
    awards = by_id(rbi(Pricing.MULTIPLE, average_places=2))
    assert awards[7].quote == D("101.09")


# ---------------------------------------------------------------- undersubscribed, no bids


def test_undersubscription_fills_every_bid_at_the_lowest_accepted_price() -> None:
    bids = [bid(1, 300, "101.00"), bid(2, 200, "100.50"), bid(3, 100, "100.75"), bid(4, 30)]
    result = clear(AuctionRules(1000, non_competitive_share=D("0.05")), bids)
    assert quantities(result) == {1: 300, 2: 200, 3: 100, 4: 30}
    assert result.cut_off == D("100.50")
    assert str(result.partial_allotment) == "100.00"
    assert result.undersubscribed
    assert result.total_allotted == 630
    assert {a.quote for a in result.awards} == {D("100.50")}
    assert all(a.pro_rata is None for a in result.awards)


def test_a_marginal_tier_filled_exactly_is_not_pro_rated() -> None:
    result = clear(AuctionRules(500), [bid(1, 300, "101"), bid(2, 200, "100"), bid(3, 50, "99")])
    assert quantities(result) == {1: 300, 2: 200, 3: 0}
    assert (result.cut_off, str(result.partial_allotment)) == (D(100), "100.00")
    assert not result.undersubscribed


def test_without_competitive_bids_there_is_no_price_and_nothing_is_allotted() -> None:
    rules = AuctionRules(1000, pricing=Pricing.MULTIPLE, non_competitive_share=D("0.05"))
    result = clear(rules, [bid(1, 20), bid(2, 10)])
    assert result.cut_off is None
    assert result.weighted_average is None
    assert result.partial_allotment is None
    assert result.total_allotted == 0
    assert [(a.bid_id, a.recognised, a.quantity, a.quote) for a in result.awards] == [
        (1, 20, 0, None),
        (2, 10, 0, None),
    ]
    assert str(result.bid_to_cover) == "0.03"
    assert result.undersubscribed


def test_no_bids_at_all() -> None:
    result = clear(AuctionRules(1000), [])
    assert (result.cut_off, result.total_allotted, result.awards) == (None, 0, ())
    assert str(result.bid_to_cover) == "0.00"


# ---------------------------------------------------------------- rounding to the lot

# Offering 200, lot 10: bid 1 is filled (100 at 101), the 100 left are shared at 100 by
# bids of 70, 50 and 30 (150): two thirds each, i.e. 46.67, 33.33 and 20.
TIER = [bid(1, 100, "101"), bid(2, 70, "100"), bid(3, 50, "100"), bid(4, 30, "100")]


@pytest.mark.parametrize(
    ("rounding", "awards", "total"),
    [
        (Rounding.UP, {1: 100, 2: 50, 3: 40, 4: 20}, 210),  # over the offering
        (Rounding.DOWN, {1: 100, 2: 40, 3: 30, 4: 20}, 190),  # under it
        # floors 40 + 30 + 20 leave one lot, for the largest remainder (6.67 of bid 2)
        (Rounding.LARGEST_REMAINDER, {1: 100, 2: 50, 3: 30, 4: 20}, 200),
    ],
)
def test_each_rounding_rule(rounding: Rounding, awards: dict[int, int], total: int) -> None:
    result = clear(AuctionRules(200, lot=10, rounding=rounding), TIER)
    assert quantities(result) == awards
    assert result.total_allotted == total
    assert str(result.partial_allotment) == "66.67"
    assert by_id(result)[2].pro_rata == Fraction(2, 3)


def test_largest_remainder_ties_go_to_the_earlier_bid_then_the_lower_id() -> None:
    # 100 shared by three bids of 50: 33.33 each, floors 30, one lot left for a tie.
    rules = AuctionRules(100, lot=10, rounding=Rounding.LARGEST_REMAINDER)
    by_time = [bid(1, 50, "100", ts=3), bid(2, 50, "100", ts=1), bid(3, 50, "100", ts=2)]
    assert quantities(clear(rules, by_time)) == {1: 30, 2: 40, 3: 30}
    same_time = [bid(9, 50, "100", ts=5), bid(4, 50, "100", ts=5), bid(6, 50, "100", ts=5)]
    assert quantities(clear(rules, same_time)) == {9: 30, 4: 40, 6: 30}


def test_largest_remainder_hands_out_several_lots_in_remainder_order() -> None:
    # 10 over 4 + 5 + 6 + 7 (22): 1.82, 2.27, 2.73, 3.18. Floors 1 + 2 + 2 + 3 = 8 leave two
    # units, for the largest remainders: bid 1 (0.82) and bid 3 (0.73).
    bids = [bid(1, 4, "100"), bid(2, 5, "100"), bid(3, 6, "100"), bid(4, 7, "100")]
    result = clear(AuctionRules(10, rounding=Rounding.LARGEST_REMAINDER), bids)
    assert quantities(result) == {1: 2, 2: 2, 3: 3, 4: 3}
    # In lots of 5, 100 over 90 + 80 + 70 + 60 (300): 30, 26.67, 23.33, 20. Floors
    # 30 + 25 + 20 + 20 leave one lot, for bid 3 (3.33 against bid 2's 1.67).
    bids = [bid(1, 90, "100"), bid(2, 80, "100"), bid(3, 70, "100"), bid(4, 60, "100")]
    result = clear(AuctionRules(100, lot=5, rounding=Rounding.LARGEST_REMAINDER), bids)
    assert quantities(result) == {1: 30, 2: 25, 3: 25, 4: 20}


# ---------------------------------------------------------------- published percentage


@pytest.mark.parametrize(
    ("bids", "published"),
    [
        # 500 left for a tier of 1,300: 38.461538...% publishes as 38.47%.
        ([bid(1, 500, "101"), bid(2, 800, "100"), bid(3, 500, "100")], "38.47"),
        # 1 left for a tier of 30,000: 0.0033% publishes as 0.01%.
        ([bid(1, 999, "101"), bid(2, 30_000, "100")], "0.01"),
        # 999 left for 1,000: 99.9% exactly.
        ([bid(1, 1, "101"), bid(2, 1_000, "100")], "99.90"),
    ],
)
def test_the_partial_allotment_is_published_rounded_up_to_a_hundredth(
    bids: list[Bid], published: str
) -> None:
    result = clear(AuctionRules(1000), bids)
    assert str(result.partial_allotment) == published


def test_awards_apply_the_exact_ratio_not_the_published_percentage() -> None:
    result = clear(AuctionRules(1000), [bid(1, 500, "101"), bid(2, 800, "100"), bid(3, 500, "100")])
    # 800 x 5/13 = 307.69 and 500 x 5/13 = 192.31: 307 + 192 = 499, the unit left to bid 2.
    assert quantities(result) == {1: 500, 2: 308, 3: 192}
    assert by_id(result)[2].pro_rata == Fraction(5, 13)


# ---------------------------------------------------------------- caps


# Offering 1,000, a 35% (350) cap. Bidder 1 bids 300 at 101.00 and 200 at 100.50: the
# second is cut to 50. Tiers: 300 at 101.00; 350 at 100.75; 50 + 340 at 100.50 for the
# 350 left (35/39: 44.87 and 305.13, the unit left to bidder 1's larger remainder).
CAPPED = [
    bid(2, 200, "100.50", bidder=1, ts=1),  # entered first: the cap still keeps the better bid
    bid(1, 300, "101.00", bidder=1, ts=2),
    bid(3, 350, "100.75", bidder=2),
    bid(4, 340, "100.50", bidder=3),
    bid(5, 200, "100.25", bidder=4),
]


def test_a_bidder_cap_cuts_the_worst_priced_bids_first_even_at_the_margin() -> None:
    result = clear(AuctionRules(1000, bidder_cap_share=D("0.35")), CAPPED)
    awards = by_id(result)
    assert {k: (a.recognised, a.quantity) for k, a in awards.items()} == {
        1: (300, 300),
        2: (50, 45),
        3: (350, 350),
        4: (340, 305),
        5: (200, 0),
    }
    assert result.cut_off == D("100.50")
    assert str(result.partial_allotment) == "89.75"  # 89.743589...
    assert awards[2].pro_rata == Fraction(35, 39)
    assert result.total_allotted == 1000


def test_a_reported_position_reduces_the_cap() -> None:
    # Bidder 1 already holds 100: room for 250 of the 300 at 101, nothing at 100.50.
    # Bidder 2 holds more than the cap: nothing. The 790 recognised are all filled.
    positions = {BidderId(1): 100, BidderId(2): 400}  # bidder 2 is over the cap already
    result = clear(AuctionRules(1000, bidder_cap_share=D("0.35")), CAPPED, positions)
    awards = by_id(result)
    assert {k: (a.recognised, a.quantity) for k, a in awards.items()} == {
        1: (250, 250),
        2: (0, 0),
        3: (0, 0),
        4: (340, 340),
        5: (200, 200),
    }
    assert result.undersubscribed
    assert result.cut_off == D("100.25")


def test_a_short_position_does_not_raise_the_cap() -> None:
    rules = AuctionRules(1000, bidder_cap_share=D("0.35"))
    assert clear(rules, CAPPED, {BidderId(1): -500}) == clear(rules, CAPPED)


def test_the_cap_is_rounded_down_to_the_lot() -> None:
    # 35% of 1,000 is 350; with a lot of 100 a bidder is recognised for 300.
    bids = [bid(1, 500, "101", bidder=1), bid(2, 1000, "100", bidder=2)]
    result = clear(AuctionRules(1000, lot=100, bidder_cap_share=D("0.35")), bids)
    assert {a.bid_id: a.recognised for a in result.awards} == {1: 300, 2: 300}


def test_ties_across_bidders_at_the_cut_off_share_pro_rata() -> None:
    bids = [bid(1, 600, "100", bidder=1), bid(2, 300, "100", bidder=2), bid(3, 300, "100")]
    result = clear(AuctionRules(600, rounding=Rounding.DOWN), bids)
    assert quantities(result) == {1: 300, 2: 150, 3: 150}
    assert str(result.partial_allotment) == "50.00"


# ---------------------------------------------------------------- non-competitive bids


# Offering 1,000 with a 5% (50) reserve and 25 per investor: 25 (of 40) + 20 + 20 = 65 is
# pro-rated to 50 (10/13): 19.23, 15.38 and 15.38.
NC_BIDS = [
    bid(1, 40, ts=1),
    bid(2, 20, ts=2),
    bid(3, 20, ts=3),
    bid(4, 2000, "100"),
]


@pytest.mark.parametrize(
    ("rounding", "awards"),
    [
        # floors 19 + 15 + 15 = 49; the unit left to bid 2 (0.38, as bid 3 but earlier).
        (Rounding.LARGEST_REMAINDER, {1: 19, 2: 16, 3: 15, 4: 950}),
        (Rounding.DOWN, {1: 19, 2: 15, 3: 15, 4: 951}),  # the unused unit goes to bid 4
        (Rounding.UP, {1: 20, 2: 16, 3: 16, 4: 948}),
    ],
)
def test_an_oversubscribed_non_competitive_reserve_is_pro_rated(
    rounding: Rounding, awards: dict[int, int]
) -> None:
    rules = AuctionRules(
        1000, non_competitive_share=D("0.05"), non_competitive_max=25, rounding=rounding
    )
    result = clear(rules, NC_BIDS)
    assert quantities(result) == awards
    assert by_id(result)[1].recognised == 25
    assert by_id(result)[2].pro_rata == Fraction(10, 13)
    assert result.total_allotted == 1000


def test_the_non_competitive_maximum_is_per_investor() -> None:
    bids = [bid(1, 15, bidder=7, ts=1), bid(2, 15, bidder=7, ts=2), bid(3, 100, "100")]
    rules = AuctionRules(100, non_competitive_share=D("0.5"), non_competitive_max=20)
    result = clear(rules, bids)
    assert quantities(result) == {1: 15, 2: 5, 3: 80}


def test_the_non_competitive_reserve_can_be_turned_off() -> None:
    result = clear(AuctionRules(100), [bid(1, 10), bid(2, 200, "100")])
    assert quantities(result) == {1: 0, 2: 100}
    assert by_id(result)[1].pro_rata == 0


# ---------------------------------------------------------------- the yield basis


# A new issue bid in yield: lowest first. 50 non-competitive (5% reserve) leave 950:
# 400 at 7.10%, 300 at 7.15%, then 250 of the 500 at 7.20% (half each), none at 7.25%.
YIELD_BIDS = [
    bid(1, 400, "7.10"),
    bid(2, 300, "7.15"),
    bid(3, 200, "7.20"),
    bid(4, 300, "7.20"),
    bid(5, 100, "7.25"),
    bid(6, 50),
]


@pytest.mark.parametrize("pricing", list(Pricing))
def test_a_new_issue_bid_in_yield_ranks_the_lowest_yield_first(pricing: Pricing) -> None:
    rules = AuctionRules(1000, pricing=pricing, basis=Basis.YIELD, non_competitive_share=D("0.05"))
    result = clear(rules, YIELD_BIDS)
    assert result.basis is Basis.YIELD
    assert result.cut_off == D("7.20")  # the coupon of the new issue
    assert str(result.partial_allotment) == "50.00"
    assert quantities(result) == {1: 400, 2: 300, 3: 100, 4: 150, 5: 0, 6: 50}
    # (400 x 7.10 + 300 x 7.15 + 250 x 7.20) / 950 = 7.142105...
    assert str(result.weighted_average) == "7.1421"
    paid = {a.bid_id: a.quote for a in result.awards if a.quantity}
    if pricing is Pricing.UNIFORM:
        assert set(paid.values()) == {D("7.20")}  # everyone gets the highest accepted yield
    else:
        assert paid == {1: D("7.10"), 2: D("7.15"), 3: D("7.20"), 4: D("7.20"), 6: D("7.1421")}


# ---------------------------------------------------------------- validation


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="unique"):
        clear(AuctionRules(100), [bid(1, 10, "100"), bid(1, 10)])
    with pytest.raises(ValueError, match="quantity"):
        bid(1, 0, "100")
    with pytest.raises(ValueError, match="quote"):
        bid(1, 10, "NaN")
    with pytest.raises(ValueError, match="multiple of the lot"):
        AuctionRules(105, lot=10)
    with pytest.raises(ValueError, match="non_competitive_share"):
        AuctionRules(100, non_competitive_share=D("1.5"))
    with pytest.raises(ValueError, match="bidder_cap_share"):
        AuctionRules(100, bidder_cap_share=D(0))


# ---------------------------------------------------------------- properties

QUOTES = [D("99.50"), D("99.75"), D("100.00"), D("100.25"), D("100.50")]
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def auctions(
    draw: st.DrawFn, *, lot_multiples: bool = True
) -> tuple[AuctionRules, list[Bid], dict[BidderId, int]]:
    """Random rules, bids (ties in quote, time and bidder are likely) and positions."""
    lot = draw(st.sampled_from([1, 5, 100]))
    rules = AuctionRules(
        offering=draw(st.integers(1, 60)) * lot,
        pricing=draw(st.sampled_from(Pricing)),
        basis=draw(st.sampled_from(Basis)),
        lot=lot,
        rounding=draw(st.sampled_from(Rounding)),
        non_competitive_share=draw(st.sampled_from([D(0), D("0.05"), D("0.2"), D(1)])),
        non_competitive_max=draw(st.none() | st.integers(1, 20 * lot)),
        bidder_cap_share=draw(st.none() | st.sampled_from([D("0.35"), D("0.5"), D(1)])),
        average_places=draw(st.integers(0, 6)),
    )
    quantity = st.integers(1, 25).map(lambda k: k * lot) if lot_multiples else st.integers(1, 2500)
    n = draw(st.integers(0, 25))
    bids = [
        Bid(
            BidId(k),
            BidderId(draw(st.integers(1, 6))),
            draw(quantity),
            draw(st.sampled_from([*QUOTES, None])),
            draw(st.integers(0, 3)),
        )
        for k in range(n)
    ]
    positions = draw(
        st.dictionaries(st.integers(1, 6).map(BidderId), st.integers(0, rules.offering))
    )
    return rules, bids, positions


def _ceil_lot(quantity: int, lot: int) -> int:
    return -(-quantity // lot) * lot


def _better(quote: Decimal, than: Decimal, basis: Basis) -> bool:
    return quote > than if basis is Basis.PRICE else quote < than


@SETTINGS
@given(auctions())
def test_awards_are_lots_within_the_bid_and_add_up(
    case: tuple[AuctionRules, list[Bid], dict[BidderId, int]],
) -> None:
    rules, bids, positions = case
    result = clear(rules, bids, positions)
    bid_of = {b.bid_id: b for b in bids}
    assert sorted(a.bid_id for a in result.awards) == sorted(bid_of)
    for a in result.awards:
        assert a.quantity % rules.lot == 0
        assert 0 <= a.quantity <= a.recognised <= a.requested == bid_of[a.bid_id].quantity
        assert (a.quote is None) == (a.quantity == 0)
    assert result.total_allotted == sum(a.quantity for a in result.awards)
    assert result.total_allotted == result.competitive_allotted + result.non_competitive_allotted
    if rules.rounding is not Rounding.UP:
        assert result.total_allotted <= rules.offering
    if rules.rounding is Rounding.LARGEST_REMAINDER and result.cut_off is not None:
        assert (result.total_allotted == rules.offering) == (not result.undersubscribed)


@SETTINGS
@given(auctions(lot_multiples=False))
def test_awards_never_pass_the_bid_rounded_to_the_lot(
    case: tuple[AuctionRules, list[Bid], dict[BidderId, int]],
) -> None:
    rules, bids, positions = case
    result = clear(rules, bids, positions)
    for a in result.awards:
        assert a.quantity % rules.lot == 0
        assert a.quantity <= _ceil_lot(a.requested, rules.lot)
        if rules.rounding is Rounding.DOWN:
            assert a.quantity <= a.requested
    if rules.rounding is Rounding.DOWN:
        assert result.total_allotted <= rules.offering
    oversubscribed = result.cut_off is not None and not result.undersubscribed
    if rules.rounding is Rounding.LARGEST_REMAINDER and oversubscribed:
        assert result.total_allotted == rules.offering


@SETTINGS
@given(auctions())
def test_acceptance_follows_the_cut_off(
    case: tuple[AuctionRules, list[Bid], dict[BidderId, int]],
) -> None:
    """Nothing accepted worse than the cut-off, everything better filled in full; the
    marginal tier's pro-rata is monotone in the bid; the bidder cap holds."""
    rules, bids, positions = case
    result = clear(rules, bids, positions)
    quote_of = {b.bid_id: b.quote for b in bids}
    cut_off = result.cut_off
    marginal: list[Award] = []
    per_bidder: dict[BidderId, int] = defaultdict(int)
    for a in result.awards:
        quote = quote_of[a.bid_id]
        if quote is None:
            continue
        per_bidder[a.bidder] += a.quantity
        if cut_off is None or _better(cut_off, quote, rules.basis):
            assert a.quantity == 0
        elif _better(quote, cut_off, rules.basis):
            assert a.quantity == a.recognised
            assert a.pro_rata is None
        elif a.pro_rata is not None:
            marginal.append(a)
    marginal.sort(key=lambda a: (a.recognised, a.quantity))
    assert [a.quantity for a in marginal] == sorted(a.quantity for a in marginal)
    if rules.bidder_cap_share is not None:
        cap = int(rules.bidder_cap_share * rules.offering)
        for bidder, total in per_bidder.items():
            assert total <= max(cap - positions.get(bidder, 0), 0)


@SETTINGS
@given(auctions())
def test_payments_follow_the_format(
    case: tuple[AuctionRules, list[Bid], dict[BidderId, int]],
) -> None:
    rules, bids, positions = case
    result = clear(rules, bids, positions)
    quote_of = {b.bid_id: b.quote for b in bids}
    for a in result.awards:
        if not a.quantity:
            continue
        if rules.pricing is Pricing.UNIFORM:
            assert a.quote == result.cut_off
        elif quote_of[a.bid_id] is None:
            assert a.quote == result.weighted_average
        else:
            assert a.quote == quote_of[a.bid_id]


@SETTINGS
@given(auctions(lot_multiples=False), st.randoms(use_true_random=False))
def test_the_same_bids_in_any_order_clear_the_same(
    case: tuple[AuctionRules, list[Bid], dict[BidderId, int]], rng: random.Random
) -> None:
    rules, bids, positions = case
    shuffled = list(bids)
    rng.shuffle(shuffled)
    assert clear(rules, shuffled, positions) == clear(rules, bids, positions)

"""The quoting core: never crossed, on ticks, whole lots, skew direction, limits; the RFQ
answers: the dealer's side, never through fair value, on the tick in its favour, limits,
counters and the last look; the fair value from others' quotes; the auction bid: under the
fair value by the spread, on the tick, sized to the limits and the auction's rules."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from liquibond.marketmaker.quoting import (
    Account,
    AuctionRules,
    Bond,
    Decline,
    Lots,
    Policy,
    Quote,
    Quotes,
    RfqAnswer,
    RfqLimits,
    Side,
    answer_rfq,
    auction_bid,
    best_of_others,
    dealer_side,
    last_look_fills,
    market_mid,
    moved,
    quote,
    reservation_price,
    rfq_price,
    skew_ratio,
)

GSEC = Lots(Decimal("0.0025"), 100, 100)

ticks = st.sampled_from([Decimal("0.0025"), Decimal("0.01"), Decimal("0.05"), Decimal(1)])
lots = st.builds(Lots, ticks, st.integers(1, 1_000), st.integers(1, 1_000))
fairs = st.decimals(min_value=Decimal("0.5"), max_value=Decimal(500), places=6)


@st.composite
def policies(draw: st.DrawFn) -> Policy:
    by_ticks = draw(st.booleans())
    return Policy(
        size=draw(st.integers(1, 100_000)),
        max_long=draw(st.integers(0, 1_000_000)),
        max_short=draw(st.integers(0, 1_000_000)),
        spread_bps=None if by_ticks else draw(st.decimals(0, 500, places=2)),
        spread_ticks=draw(st.integers(0, 50)) if by_ticks else None,
        skew=draw(st.decimals(0, 3, places=2)),
    )


inventories = st.integers(0, 2_000_000)


@given(fairs, lots, policies(), inventories, inventories)
def test_quotes_are_on_ticks_in_whole_lots_and_never_cross(
    fair: Decimal, market: Lots, policy: Policy, inventory: int, target: int
) -> None:
    quotes = quote(fair, market, policy, inventory, target=target)
    for side in (quotes.bid, quotes.ask):
        if side is None:
            continue
        assert side.price > 0 and market.on_tick(side.price)
        assert side.quantity >= market.min_lot
        assert (side.quantity - market.min_lot) % market.lot_increment == 0
        assert side.quantity <= policy.size
    if quotes.bid and quotes.ask:
        assert quotes.ask.price - quotes.bid.price >= market.tick


@given(fairs, lots, policies(), inventories, inventories)
def test_limits_are_never_exceeded_by_a_fill(
    fair: Decimal, market: Lots, policy: Policy, inventory: int, target: int
) -> None:
    quotes = quote(fair, market, policy, inventory, target=target)
    position = inventory - target
    if quotes.bid:
        assert position + quotes.bid.quantity <= policy.max_long
    if quotes.ask:
        assert position - quotes.ask.quantity >= -policy.max_short
        assert quotes.ask.quantity <= inventory  # nothing sold that is not held


@given(fairs, lots, policies(), inventories, inventories, inventories)
def test_long_inventory_lowers_both_quotes_and_short_raises_them(
    fair: Decimal, market: Lots, policy: Policy, target: int, a: int, b: int
) -> None:
    low, high = sorted((a, b))
    fewer = quote(fair, market, policy, low, target=target, sellable=10**9)
    more = quote(fair, market, policy, high, target=target, sellable=10**9)
    prices = [(fewer.bid, more.bid), (fewer.ask, more.ask)]
    for before, after in prices:
        if before is not None and after is not None:
            assert after.price <= before.price


def test_a_flat_book_quotes_symmetrically_around_fair_value() -> None:
    policy = Policy(size=1_000, max_long=5_000, max_short=5_000, spread_bps=Decimal(20))
    quotes = quote(Decimal(100), GSEC, policy, 3_000, target=3_000)
    assert quotes == Quotes(Quote(Decimal("99.9000"), 1_000), Quote(Decimal("100.1000"), 1_000))


def test_spread_in_ticks_and_rounding_outwards() -> None:
    policy = Policy(size=250, max_long=5_000, max_short=5_000, spread_ticks=3)
    quotes = quote(Decimal("100.001"), GSEC, policy, 1_000, target=1_000)
    # centre 100.001 +- 0.00375, bid rounded down, ask up; 250 units is 200 in lots of 100
    assert quotes == Quotes(Quote(Decimal("99.9950"), 200), Quote(Decimal("100.0050"), 200))


def test_a_zero_spread_still_leaves_a_tick() -> None:
    policy = Policy(size=100, max_long=1_000, max_short=1_000, spread_ticks=0)
    quotes = quote(Decimal(100), GSEC, policy, 500, target=500)
    assert quotes.bid and quotes.ask
    assert quotes.ask.price - quotes.bid.price == GSEC.tick


def test_skew_moves_by_the_skew_in_half_spreads_at_a_limit() -> None:
    policy = Policy(size=100, max_long=1_000, max_short=1_000, spread_bps=Decimal(20))
    long = quote(Decimal(100), GSEC, policy, 2_000, target=1_000)
    short = quote(Decimal(100), GSEC, policy, 0, target=1_000)
    # at the long limit the bid stops; the ask sits on the fair value
    assert long.bid is None and long.ask == Quote(Decimal("100.0000"), 100)
    # at the short limit the ask stops; the bid sits on the fair value
    assert short.ask is None and short.bid == Quote(Decimal("100.0000"), 100)
    half_long = quote(Decimal(100), GSEC, policy, 1_500, target=1_000)
    assert half_long == Quotes(Quote(Decimal("99.8500"), 100), Quote(Decimal("100.0500"), 100))


def test_limits_shrink_a_side_to_the_lots_that_fit_then_stop_it() -> None:
    policy = Policy(size=1_000, max_long=350, max_short=250, spread_bps=Decimal(10))
    quotes = quote(Decimal(100), GSEC, policy, 1_000, target=1_000)
    assert quotes.bid and quotes.bid.quantity == 300
    assert quotes.ask and quotes.ask.quantity == 200
    assert quote(Decimal(100), GSEC, policy, 1_300, target=1_000).bid is None
    assert quote(Decimal(100), GSEC, policy, 780, target=1_000).ask is None
    # nothing held, nothing offered
    assert quote(Decimal(100), GSEC, policy, 0, target=0).ask is None


def test_skew_ratio_is_clamped() -> None:
    policy = Policy(size=1, max_long=100, max_short=0, spread_ticks=1)
    assert skew_ratio(1_000, policy) == 1
    assert skew_ratio(-1, policy) == -1
    assert skew_ratio(50, policy) == Decimal("0.5")


def test_moved_is_a_whole_tick() -> None:
    assert not moved(Decimal("100.0000"), Decimal("100.0000"), GSEC.tick)
    assert moved(Decimal("100.0000"), Decimal("99.9975"), GSEC.tick)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"spread_bps": Decimal(1), "spread_ticks": 1},
        {},
        {"spread_ticks": -1},
        {"spread_ticks": 1, "size": 0},
    ],
)
def test_inconsistent_policies_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=r"spread|size"):
        Policy(**{"size": 100, "max_long": 1, "max_short": 1, **kwargs})  # type: ignore[arg-type]


# -- RFQ answers -------------------------------------------------------------------------------

GSEC_BOND = Bond(GSEC, face_value=100_00, coupon_rate=Decimal("7.26"))
TEN_BP = Policy(size=1, max_long=10_000, max_short=10_000, spread_bps=Decimal(10))
FLAT = Account(inventory=5_000, target=5_000, sellable=5_000, cash=10**12)
NO_LIMITS = RfqLimits()
sides = st.sampled_from(list(Side))


@st.composite
def accounts(draw: st.DrawFn) -> Account:
    return Account(
        inventory=draw(inventories),
        target=draw(inventories),
        sellable=draw(st.integers(0, 2_000_000)),
        cash=draw(st.none() | st.integers(0, 10**13)),
        quoted_buy=draw(st.integers(0, 100_000)),
        quoted_sell=draw(st.integers(0, 100_000)),
    )


bonds = st.builds(
    Bond,
    lots,
    st.sampled_from([100_00, 1_000_00, 1_00_000_00]),
    st.decimals(0, 15, places=2),
    st.decimals(0, 10, places=2),
)
rfq_limits = st.builds(
    RfqLimits, st.none() | st.integers(1, 10**6), st.none() | st.integers(1, 10**13)
)
quantities = st.integers(1, 100_000)


def test_the_dealer_takes_the_other_side() -> None:
    assert dealer_side(Side.BUY) is Side.SELL  # a requester who buys is offered to
    assert dealer_side(Side.SELL) is Side.BUY  # a requester who sells is bid
    assert answer_rfq(Decimal(100), GSEC_BOND, TEN_BP, NO_LIMITS, FLAT, Side.BUY, 100).side == (
        Side.SELL
    )


@given(fairs, bonds, policies(), rfq_limits, accounts(), sides, quantities)
def test_an_rfq_is_answered_on_the_tick_never_through_fair_value_and_within_limits(
    fair: Decimal,
    bond: Bond,
    policy: Policy,
    limits: RfqLimits,
    account: Account,
    requester: Side,
    quantity: int,
) -> None:
    answer = answer_rfq(fair, bond, policy, limits, account, requester, quantity)
    assert answer.side is requester.opposite
    assert (answer.price is None) == (answer.declined is not None)
    if answer.price is None:
        return
    assert answer.price > 0 and bond.lots.on_tick(answer.price)
    if answer.side is Side.SELL:
        assert answer.price >= fair
        assert account.position - account.quoted_sell - quantity >= -policy.max_short
        assert account.quoted_sell + quantity <= account.sellable
    else:
        assert answer.price <= fair
        assert account.position + account.quoted_buy + quantity <= policy.max_long
        if account.cash is not None:
            assert bond.notional(quantity, answer.price) <= account.cash
    if limits.max_quantity is not None:
        assert quantity <= limits.max_quantity
    if limits.max_notional is not None:
        assert bond.notional(quantity, answer.price) <= limits.max_notional


@given(fairs, lots, policies(), st.integers(-1_000_000, 1_000_000))
def test_the_rfq_price_is_the_books_price_on_that_side_held_at_fair_value(
    fair: Decimal, market: Lots, policy: Policy, position: int
) -> None:
    # Room for both sides of the book in full, so each side shows its price.
    policy = replace(policy, size=10**6, max_long=10**7, max_short=10**7)
    book = quote(fair, market, policy, 10**7 + position, target=10**7, sellable=10**9)
    offer = rfq_price(fair, market, policy, position, Side.SELL)
    bid = rfq_price(fair, market, policy, position, Side.BUY)
    assert offer is not None
    if book.ask is not None:
        locked = book.bid is not None and book.ask.price == book.bid.price + market.tick
        assert offer == max(book.ask.price, market.ceil(fair)) or locked  # lifted off a lock
    if book.bid is not None:
        assert bid == min(book.bid.price, market.floor(fair))


@given(fairs, bonds, policies(), accounts(), sides, quantities, st.integers(-4_000, 4_000))
def test_a_counter_is_met_only_between_the_reservation_price_and_the_dealers_own(
    fair: Decimal,
    bond: Bond,
    policy: Policy,
    account: Account,
    requester: Side,
    quantity: int,
    ticks_away: int,
) -> None:
    side = requester.opposite
    own = rfq_price(fair, bond.lots, policy, account.position, side)
    if own is None:
        return
    counter = own + ticks_away * bond.lots.tick
    if counter <= 0:
        return
    answer = answer_rfq(
        fair, bond, policy, NO_LIMITS, account, requester, quantity, counter=counter
    )
    if answer.price is None:
        return
    reserve = reservation_price(fair, bond.lots, policy, account.position, side)
    if answer.counter_met:
        assert answer.price == counter
        assert (reserve <= counter < own) if side is Side.SELL else (own < counter <= reserve)
    else:
        assert answer.price == own
    assert answer.price >= fair if side is Side.SELL else answer.price <= fair


def test_prices_round_to_the_tick_in_the_dealers_favour() -> None:
    # 10 bp around 100.001: 100.0510005 offered up to 100.0525, 99.9509995 bid down to 99.95
    fair = Decimal("100.001")
    assert rfq_price(fair, GSEC, TEN_BP, 0, Side.SELL) == Decimal("100.0525")
    assert rfq_price(fair, GSEC, TEN_BP, 0, Side.BUY) == Decimal("99.9500")
    spreadless = Policy(size=1, max_long=1, max_short=1, spread_ticks=0)
    assert rfq_price(fair, GSEC, spreadless, 0, Side.SELL) == Decimal("100.0025")
    assert rfq_price(fair, GSEC, spreadless, 0, Side.BUY) == Decimal("100.0000")


def test_inventory_skews_the_rfq_price_but_never_through_fair_value() -> None:
    fair = Decimal(100)
    # long half its limit: the centre is a quarter spread lower, both prices move down
    long = Account(inventory=10_000, target=5_000, sellable=10_000)
    assert answer_rfq(fair, GSEC_BOND, TEN_BP, NO_LIMITS, long, Side.BUY, 100).price == Decimal(
        "100.0250"
    )
    assert answer_rfq(fair, GSEC_BOND, TEN_BP, NO_LIMITS, long, Side.SELL, 100).price == Decimal(
        "99.9250"
    )
    # with a strong skew a long dealer's offer would sit below fair value: held at fair value
    eager = Policy(
        size=1, max_long=10_000, max_short=10_000, spread_bps=Decimal(10), skew=Decimal(3)
    )
    at_limit = Account(inventory=10_000, target=0, sellable=10_000)
    assert rfq_price(fair, GSEC, eager, at_limit.position, Side.SELL) == Decimal(100)


@pytest.mark.parametrize(
    ("limits", "account", "requester", "quantity", "declined"),
    [
        (RfqLimits(max_quantity=999), FLAT, Side.BUY, 1_000, Decline.SIZE),
        # 1,000 units of ₹100 face at 100.05 is ₹1,00,050: above a ₹1 lakh limit
        (RfqLimits(max_notional=1_00_000_00), FLAT, Side.BUY, 1_000, Decline.NOTIONAL),
        (NO_LIMITS, Account(5_000, 5_000, sellable=900), Side.BUY, 1_000, Decline.UNITS),
        # 10,000 short of the target at most: 9,500 sold already
        (NO_LIMITS, Account(5_000, 14_500, sellable=9_000), Side.BUY, 1_000, Decline.INVENTORY),
        # other live quotes may buy 9,500: this one would take the position past 10,000 long
        (NO_LIMITS, Account(5_000, 5_000, 5_000, quoted_buy=9_500), Side.SELL, 1_000,
         Decline.INVENTORY),
        # ₹1 lakh of cash cannot pay for 1,000 units at 99.95 plus accrued
        (NO_LIMITS, Account(5_000, 5_000, 5_000, cash=1_00_000_00), Side.SELL, 1_000,
         Decline.CASH),
    ],
)  # fmt: skip
def test_limits_decline_by_not_quoting(
    limits: RfqLimits, account: Account, requester: Side, quantity: int, declined: Decline
) -> None:
    answer = answer_rfq(Decimal(100), GSEC_BOND, TEN_BP, limits, account, requester, quantity)
    assert answer == RfqAnswer(requester.opposite, None, declined)


def test_a_bid_that_would_not_be_positive_is_declined() -> None:
    answer = answer_rfq(Decimal("0.001"), GSEC_BOND, TEN_BP, NO_LIMITS, FLAT, Side.SELL, 100)
    assert answer.declined is Decline.NO_BID


def test_counters_within_the_spread_are_met_others_get_the_dealers_own_price() -> None:
    fair = Decimal(100)  # offers 100.05, bids 99.95; flat, so the reservation is 100

    def offered(counter: str) -> RfqAnswer:
        return answer_rfq(
            fair, GSEC_BOND, TEN_BP, NO_LIMITS, FLAT, Side.BUY, 1_000, counter=Decimal(counter)
        )

    assert offered("100.0200") == RfqAnswer(Side.SELL, Decimal("100.0200"), counter_met=True)
    assert offered("100.0000") == RfqAnswer(Side.SELL, Decimal("100.0000"), counter_met=True)
    assert offered("99.9975") == RfqAnswer(Side.SELL, Decimal("100.0500"))  # through fair value
    assert offered("100.1000") == RfqAnswer(Side.SELL, Decimal("100.0500"))  # worse than asked
    assert offered("100.0210") == RfqAnswer(Side.SELL, Decimal("100.0500"))  # not on the tick
    bid = answer_rfq(
        fair, GSEC_BOND, TEN_BP, NO_LIMITS, FLAT, Side.SELL, 1_000, counter=Decimal("99.98")
    )
    assert bid == RfqAnswer(Side.BUY, Decimal("99.98"), counter_met=True)


def test_a_counter_is_priced_against_the_limits_too() -> None:
    limits = RfqLimits(max_notional=1_00_040_00)  # ₹1,00,040: 1,000 units at 100.04 at most
    fair = Decimal(100)
    met = answer_rfq(
        fair, GSEC_BOND, TEN_BP, limits, FLAT, Side.BUY, 1_000, counter=Decimal("100.04")
    )
    assert met.price == Decimal("100.04")
    assert answer_rfq(fair, GSEC_BOND, TEN_BP, limits, FLAT, Side.BUY, 1_000).declined is (
        Decline.NOTIONAL
    )


@pytest.mark.parametrize(
    ("side", "price", "fair", "tolerance", "fills"),
    [
        (Side.SELL, "100.05", "100", "0", True),  # still above fair value
        (Side.SELL, "100.05", "100.06", "0", False),  # the market rose through the offer
        (Side.SELL, "100.05", "100.06", "1", True),  # within 1 bp of 100.06
        (Side.BUY, "99.95", "100", "0", True),
        (Side.BUY, "99.95", "99.94", "0", False),  # the market fell through the bid
        (Side.BUY, "99.95", "99.94", "1", False),  # 1 bp of 99.94 is 0.009994
        (Side.BUY, "99.95", "99.94", "2", True),
    ],
)
def test_the_last_look_fills_within_tolerance_of_fair_value(
    side: Side, price: str, fair: str, tolerance: str, fills: bool
) -> None:
    assert last_look_fills(side, Decimal(price), Decimal(fair), Decimal(tolerance)) is fills


def test_rfq_limits_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        RfqLimits(max_quantity=0)


# -- fair value from others' quotes ------------------------------------------------------------


def test_the_best_price_of_others_leaves_my_own_quantity_out() -> None:
    bids = [(Decimal("99.9"), 1_000), (Decimal("99.5"), 300), (Decimal(99), 100)]
    assert best_of_others(bids, {}) == Decimal("99.9")
    assert best_of_others(bids, {Decimal("99.9"): 1_000}) == Decimal("99.5")  # only mine there
    assert best_of_others(bids, {Decimal("99.9"): 600}) == Decimal("99.9")  # others' too
    assert best_of_others(bids[:1], {Decimal("99.9"): 1_000}) is None


def test_the_mid_needs_a_two_sided_market_that_is_not_crossed() -> None:
    assert market_mid(Decimal(99), Decimal(101)) == Decimal(100)
    assert market_mid(Decimal(99), None) is None
    assert market_mid(None, Decimal(101)) is None
    assert market_mid(Decimal(101), Decimal(101)) is None


# -- auction bids -----------------------------------------------------------------------------

AUCTION = AuctionRules(min_bid=1_000, bid_multiple=500)
EMPTY = Account(inventory=0, target=0, sellable=0)
TWENTY_BP = Policy(size=1_000, max_long=10_000, max_short=10_000, spread_bps=Decimal(20))


def test_an_auction_bid_is_the_fair_value_less_the_spread_rounded_down() -> None:
    # 100.0013 less 20 bp of it (0.2000026) is 99.8012974: 99.8000 on the 0.0025 tick.
    bid = auction_bid(Decimal("100.0013"), GSEC_BOND, TWENTY_BP, AUCTION, EMPTY, 5_000)
    assert bid == Quote(Decimal("99.8000"), 5_000)
    in_ticks = replace(TWENTY_BP, spread_bps=None, spread_ticks=4)
    assert auction_bid(Decimal(100), GSEC_BOND, in_ticks, AUCTION, EMPTY, 5_000) == Quote(
        Decimal("99.9900"), 5_000
    )


def test_an_auction_bid_keeps_to_the_auctions_price_range() -> None:
    capped = replace(AUCTION, max_price=Decimal("99.5"))
    assert auction_bid(Decimal(100), GSEC_BOND, TWENTY_BP, capped, EMPTY, 5_000) == Quote(
        Decimal("99.5000"), 5_000
    )
    floored = replace(AUCTION, min_price=Decimal("99.9"))
    assert auction_bid(Decimal(100), GSEC_BOND, TWENTY_BP, floored, EMPTY, 5_000) is Decline.RANGE
    wide = Policy(size=1, max_long=10_000, max_short=0, spread_bps=Decimal(20_000))
    assert auction_bid(Decimal(100), GSEC_BOND, wide, AUCTION, EMPTY, 5_000) is Decline.NO_BID


def test_an_auction_bid_is_sized_to_the_limits_in_the_auctions_multiples() -> None:
    fair = Decimal(100)
    # Long 6,000 with 500 more quoted to buy: 3,500 of room under 10,000, so 3,500 units.
    long = Account(inventory=16_000, target=10_000, sellable=0, quoted_buy=500)
    assert auction_bid(fair, GSEC_BOND, TWENTY_BP, AUCTION, long, 5_000) == Quote(
        Decimal("99.8000"), 3_500
    )
    # 3,200 of room: the largest multiple of 500 is 3,000.
    nearly = replace(long, quoted_buy=800)
    assert auction_bid(fair, GSEC_BOND, TWENTY_BP, AUCTION, nearly, 5_000) == Quote(
        Decimal("99.8000"), 3_000
    )
    full = replace(long, inventory=19_500)
    assert auction_bid(fair, GSEC_BOND, TWENTY_BP, AUCTION, full, 5_000) is Decline.INVENTORY
    assert auction_bid(fair, GSEC_BOND, TWENTY_BP, AUCTION, EMPTY, 999) is Decline.SIZE
    # A unit costs at most 99.80 + 7.26 per 100 of ₹100: 10,706 paise; ₹2.5 lakh pays 2,335.
    cash = replace(EMPTY, cash=2_50_000_00)
    assert auction_bid(fair, GSEC_BOND, TWENTY_BP, AUCTION, cash, 5_000) == Quote(
        Decimal("99.8000"), 2_000
    )
    poor = replace(EMPTY, cash=1_00_000_00)
    assert auction_bid(fair, GSEC_BOND, TWENTY_BP, AUCTION, poor, 5_000) is Decline.CASH


@given(
    lots,
    st.decimals(Decimal("0.01"), Decimal(500), places=4),
    st.decimals(Decimal(0), Decimal(500), places=2),
    st.integers(1, 100),
    st.integers(1, 100),
    st.integers(0, 100_000),
    st.integers(-50_000, 50_000),
)
def test_an_auction_bid_never_pays_more_than_fair_value_and_keeps_the_rules(
    bond_lots: Lots,
    fair: Decimal,
    spread_bps: Decimal,
    min_bid: int,
    multiple: int,
    size: int,
    position: int,
) -> None:
    policy = Policy(size=1, max_long=20_000, max_short=20_000, spread_bps=spread_bps)
    account = Account(inventory=position, target=0, sellable=0)
    bid = auction_bid(
        fair, Bond(bond_lots, 100_00), policy, AuctionRules(min_bid, multiple), account, size
    )
    if isinstance(bid, Quote):
        assert 0 < bid.price <= fair and bond_lots.on_tick(bid.price)
        assert min_bid <= bid.quantity <= min(size, 20_000 - position)
        assert bid.quantity % multiple == 0
    else:
        assert bid in (Decline.NO_BID, Decline.SIZE, Decline.INVENTORY)

"""The quoting core: never crossed, on ticks, whole lots, skew direction, limits."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from liquibond.marketmaker.quoting import Lots, Policy, Quote, Quotes, moved, quote, skew_ratio

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

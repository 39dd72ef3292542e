"""Netting a batch of trades into deliveries (pure): same end state, fewer movements."""

from __future__ import annotations

from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from liquibond.chain.netting import Delivery, Leg, net

WALLETS = ["0xA", "0xB", "0xC", "0xD"]


def _apply(moves: list[tuple[str, str, str, int]]) -> dict[tuple[str, str], int]:
    """Each (token, wallet)'s change in balance, zeros left out."""
    balances: Counter[tuple[str, str]] = Counter()
    for token, sender, receiver, amount in moves:
        balances[(token, sender)] -= amount
        balances[(token, receiver)] += amount
    return {key: change for key, change in balances.items() if change}


def test_a_round_trip_nets_to_nothing_and_a_chain_to_one_delivery() -> None:
    assert net([Leg("T", "0xA", "0xB", 100), Leg("T", "0xB", "0xA", 100)]) == []
    chain = [Leg("T", "0xA", "0xB", 100), Leg("T", "0xB", "0xC", 100), Leg("T", "0xC", "0xD", 100)]
    assert net(chain) == [Delivery("T", "0xA", "0xD", 100)]


def test_largest_positions_are_matched_first() -> None:
    legs = [Leg("T", "0xA", "0xC", 300), Leg("T", "0xB", "0xC", 100), Leg("T", "0xA", "0xD", 200)]
    assert net(legs) == [
        Delivery("T", "0xA", "0xC", 400),
        Delivery("T", "0xA", "0xD", 100),
        Delivery("T", "0xB", "0xD", 100),
    ]


legs = st.lists(
    st.builds(
        Leg,
        st.sampled_from(["T1", "T2"]),
        st.sampled_from(WALLETS),
        st.sampled_from(WALLETS),
        st.integers(1, 1_000),
    ),
    max_size=60,
)


@given(legs)
def test_netting_leaves_every_wallet_where_the_trades_would(trades: list[Leg]) -> None:
    deliveries = net(trades)
    assert _apply([(d.token, d.sender, d.receiver, d.amount) for d in deliveries]) == _apply(
        [(t.token, t.seller, t.buyer, t.quantity) for t in trades]
    )
    assert all(d.amount > 0 and d.sender != d.receiver for d in deliveries)
    per_token = Counter(d.token for d in deliveries)
    assert all(count <= len(WALLETS) - 1 for count in per_token.values())
    assert net(trades) == deliveries  # deterministic

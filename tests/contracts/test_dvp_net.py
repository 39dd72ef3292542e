"""DvP netting: a batch of trades settled by its net deliveries, under one batch id."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import boa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .chain import (
    INSUFFICIENT_BALANCE,
    RECEIVER_NOT_VERIFIED,
    ZERO,
    System,
    events,
    restricted,
    settlement_id,
)

MISSING_ROLE = "roles: account is missing role"
Delivery = tuple[str, str, str, int]  # (bond, sender, receiver, amount)
Trade = tuple[str, str, str, int]  # (bond, seller, buyer, units)


def batch_id(n: int) -> bytes:
    """Batch ids live in the settlement ids' space: `batch_id(n) == settlement_id(n)`."""
    return settlement_id(n)


def net(trades: Iterable[Trade]) -> list[Delivery]:
    """The deliveries that settle `trades` by their net: per bond, each wallet's
    sold minus bought units; net sellers deliver to net buyers, largest first."""
    position: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for bond, seller, buyer, units in trades:
        position[bond][seller] -= units
        position[bond][buyer] += units
    deliveries = []
    for bond, wallets in position.items():
        sellers = sorted(((-v, w) for w, v in wallets.items() if v < 0), reverse=True)
        buyers = sorted(((v, w) for w, v in wallets.items() if v > 0), reverse=True)
        i = j = 0
        while i < len(sellers) and j < len(buyers):
            (owed, sender), (due, receiver) = sellers[i], buyers[j]
            amount = min(owed, due)
            deliveries.append((bond, sender, receiver, amount))
            sellers[i], buyers[j] = (owed - amount, sender), (due - amount, receiver)
            i += sellers[i][0] == 0
            j += buyers[j][0] == 0
    return deliveries


def bonds(system: System, wallets: list[str]) -> list[int]:
    return [system.bond.balanceOf(w) for w in wallets]


def test_a_netted_batch_moves_the_net_amounts(system: System, investors: list[str]) -> None:
    a, b, c, d = investors
    bond = system.bond.address
    trades = [(bond, a, b, 10), (bond, b, c, 4), (bond, c, a, 3), (bond, d, b, 2), (bond, b, a, 1)]
    deliveries = net(trades)
    # a: -10 +3 +1 = -6; b: +10 -4 +2 -1 = +7; c: +4 -3 = +1; d: -2.
    assert sorted(deliveries) == sorted([(bond, a, b, 6), (bond, d, b, 1), (bond, d, c, 1)])
    before = bonds(system, investors)
    supply = system.bond.totalSupply()
    with boa.env.prank(system.agent):
        system.dvp.settleNet(batch_id(1), len(trades), deliveries)
    assert events(system.dvp) == [
        *(
            {
                "event": "Transfer",
                "address": bond,
                "sender": sender,
                "receiver": receiver,
                "value": amount,
            }
            for _, sender, receiver, amount in deliveries
        ),
        {
            "event": "NetSettled",
            "address": system.dvp.address,
            "batchId": batch_id(1),
            "trades": 5,
            "deliveries": 3,
        },
    ]
    assert bonds(system, investors) == [
        before[0] - 6,
        before[1] + 7,
        before[2] + 1,
        before[3] - 2,
    ]
    assert system.bond.totalSupply() == supply
    assert system.dvp.isSettled(batch_id(1))


def test_a_netted_batch_can_mix_bonds(system: System, investors: list[str]) -> None:
    other = system.another_bond()
    a, b, _, _ = investors
    system.mint(other, b, 50)
    trades = [(system.bond.address, a, b, 5), (other.address, b, a, 8), (other.address, a, b, 3)]
    with boa.env.prank(system.agent):
        system.dvp.settleNet(batch_id(1), len(trades), net(trades))
    assert other.balanceOf(a) == 5
    assert other.balanceOf(b) == 45
    assert [e["address"] for e in events(system.dvp, "Transfer")] == [
        system.bond.address,
        other.address,
    ]


def test_a_batch_id_settles_once_only(system: System, investors: list[str]) -> None:
    a, b, _, _ = investors
    deliveries = [(system.bond.address, a, b, 10)]
    with boa.env.prank(system.agent):
        system.dvp.settleNet(batch_id(1), 2, deliveries)
        after = bonds(system, investors)
        with boa.reverts("dvp: settlement id already used"):
            system.dvp.settleNet(batch_id(1), 2, deliveries)
        with boa.reverts("dvp: settlement id already used"):  # the same id, other terms
            system.dvp.settleNet(batch_id(1), 1, [(system.bond.address, b, a, 1)])
    assert bonds(system, investors) == after


def test_batch_ids_and_settlement_ids_share_one_space(system: System, investors: list[str]) -> None:
    a, b, _, _ = investors
    bond = system.bond.address
    settlement = (settlement_id(1), bond, a, b, 1, ZERO, 0)
    with boa.env.prank(system.agent):
        system.dvp.settle(settlement)
        # A settled trade's id cannot name a batch ...
        with boa.reverts("dvp: settlement id already used"):
            system.dvp.settleNet(settlement_id(1), 1, [(bond, a, b, 1)])
        # ... nor a settled batch's id a trade.
        system.dvp.settleNet(batch_id(2), 1, [(bond, a, b, 1)])
        reuse = (batch_id(2), bond, a, b, 1, ZERO, 0)
        with boa.reverts("dvp: settlement id already used"):
            system.dvp.settle(reuse)
        with boa.reverts("dvp: settlement id already used"):
            system.dvp.settleBatch([(settlement_id(3), bond, a, b, 1, ZERO, 0), reuse])
    assert not system.dvp.isSettled(settlement_id(3))


@pytest.mark.parametrize(
    ("batch", "trades", "amounts", "message"),
    [
        (b"\x00" * 32, 1, [10], "dvp: settlement id is zero"),
        (batch_id(1), 0, [10], "dvp: no trades"),
        (batch_id(1), 1, [], "dvp: no deliveries"),
        (batch_id(1), 2, [10, 0], "dvp: bond amount is zero"),
    ],
)
def test_malformed_batches_are_refused(
    system: System,
    investors: list[str],
    batch: bytes,
    trades: int,
    amounts: list[int],
    message: str,
) -> None:
    a, b, _, _ = investors
    deliveries = [(system.bond.address, a, b, amount) for amount in amounts]
    before = bonds(system, investors)
    with boa.env.prank(system.agent), boa.reverts(message):
        system.dvp.settleNet(batch, trades, deliveries)
    assert bonds(system, investors) == before
    assert not system.dvp.isSettled(batch_id(1))


def test_only_the_agent_settles_a_batch(system: System, investors: list[str], admin: str) -> None:
    deliveries = [(system.bond.address, investors[0], investors[1], 10)]
    for caller in (admin, investors[0]):
        with boa.env.prank(caller), boa.reverts(MISSING_ROLE):
            system.dvp.settleNet(batch_id(1), 1, deliveries)


def test_pausing_the_dvp_or_the_bond_stops_a_batch(system: System, investors: list[str]) -> None:
    deliveries = [(system.bond.address, investors[0], investors[1], 10)]
    with boa.env.prank(system.agent):
        system.dvp.pause()
        with boa.reverts("pausable: paused"):
            system.dvp.settleNet(batch_id(1), 1, deliveries)
        system.dvp.unpause()
        system.bond.pause()
        with boa.reverts("transfer restricted: paused"):
            system.dvp.settleNet(batch_id(1), 1, deliveries)
        system.bond.unpause()
        system.dvp.settleNet(batch_id(1), 1, deliveries)
    assert system.dvp.isSettled(batch_id(1))


@pytest.mark.parametrize("failing", [0, 2])
@pytest.mark.parametrize("rule", [RECEIVER_NOT_VERIFIED, INSUFFICIENT_BALANCE])
def test_one_refused_delivery_reverts_the_whole_batch(
    system: System, investors: list[str], outsider: str, failing: int, rule: int
) -> None:
    a, b, c, d = investors
    bond = system.bond.address
    good = [(bond, a, b, 5), (bond, c, d, 7), (bond, d, a, 1)]
    batch = list(good)
    if rule == RECEIVER_NOT_VERIFIED:
        batch[failing] = (bond, batch[failing][1], outsider, 5)
    else:  # the sender is short
        batch[failing] = (bond, batch[failing][1], batch[failing][2], 10**9)
    before = bonds(system, [*investors, outsider])
    with boa.env.prank(system.agent):
        with boa.reverts(restricted(rule)):
            system.dvp.settleNet(batch_id(1), 3, batch)
        assert bonds(system, [*investors, outsider]) == before
        assert not system.dvp.isSettled(batch_id(1))
        # Nothing was spent: the corrected batch settles under the same id.
        system.dvp.settleNet(batch_id(1), 3, good)
    assert system.dvp.isSettled(batch_id(1))
    assert bonds(system, investors) == [before[0] - 4, before[1] + 5, before[2] - 7, before[3] + 6]


def test_the_netted_batch_bound(system: System, investors: list[str]) -> None:
    delivery = (system.bond.address, investors[0], investors[1], 1)
    with boa.env.prank(system.agent), boa.reverts():
        system.dvp.settleNet(batch_id(1), 1, [delivery] * 501)


# Each investor holds 1,000 units; 12 trades of at most 50 never run one short.
random_trades = st.lists(
    st.tuples(st.integers(0, 3), st.integers(0, 3), st.integers(1, 50)).filter(
        lambda t: t[0] != t[1]
    ),
    min_size=1,
    max_size=12,
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(raw=random_trades)
def test_netting_settles_like_the_trades_one_by_one(
    system: System, investors: list[str], raw: list[tuple[int, int, int]]
) -> None:
    bond = system.bond.address
    trades = [(bond, investors[s], investors[b], units) for s, b, units in raw]
    settlements = [
        (settlement_id(100 + n), bond, seller, buyer, units, ZERO, 0)
        for n, (_, seller, buyer, units) in enumerate(trades)
    ]
    supply = system.bond.totalSupply()
    with boa.env.anchor():
        with boa.env.prank(system.agent):
            system.dvp.settleBatch(settlements)
        one_by_one = bonds(system, investors)
    with boa.env.anchor():
        deliveries = net(trades)
        assert len(deliveries) <= len(investors) - 1
        assert all(amount > 0 for *_, amount in deliveries)
        with boa.env.prank(system.agent):
            if deliveries:
                system.dvp.settleNet(batch_id(1), len(trades), deliveries)
                assert system.dvp.isSettled(batch_id(1))
            else:  # the trades cancel out: nothing to deliver
                with boa.reverts("dvp: no deliveries"):
                    system.dvp.settleNet(batch_id(1), len(trades), deliveries)
        assert bonds(system, investors) == one_by_one
        assert system.bond.totalSupply() == supply

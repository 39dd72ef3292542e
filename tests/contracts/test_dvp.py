"""DvP: atomic delivery versus payment, single and batched, exactly once."""

from __future__ import annotations

from typing import Any

import boa
import pytest
from boa.contracts.abi.abi_contract import ABIContract

from .chain import (
    RECEIVER_NOT_VERIFIED,
    SENDER_FROZEN,
    SENDER_NOT_VERIFIED,
    SETTLEMENT_ROLE,
    ZERO,
    System,
    events,
    restricted,
    settlement_id,
)

MISSING_ROLE = "roles: account is missing role"
Settlement = tuple[bytes, str, str, str, int, str, int]


def trade(
    system: System, n: int, seller: str, buyer: str, units: int, cash: int, bond: Any = None
) -> Settlement:
    """Settlement `n`: `seller` delivers `units` of the bond, `buyer` pays `cash`."""
    bond_address = (bond or system.bond).address
    cash_address = system.cash.address if cash else ZERO
    return (settlement_id(n), bond_address, seller, buyer, units, cash_address, cash)


def holdings(system: System, wallets: list[str]) -> list[tuple[int, int]]:
    return [(system.bond.balanceOf(w), system.cash.balanceOf(w)) for w in wallets]


def test_a_settlement_swaps_both_legs_atomically(system: System, investors: list[str]) -> None:
    seller, buyer = investors[0], investors[1]
    before = holdings(system, [seller, buyer])
    assert not system.dvp.isSettled(settlement_id(1))
    with boa.env.prank(system.agent):
        system.dvp.settle(trade(system, 1, seller, buyer, 10, 1_012_345))
    assert events(system.dvp) == [
        {
            "event": "Transfer",
            "address": system.bond.address,
            "sender": seller,
            "receiver": buyer,
            "value": 10,
        },
        {
            "event": "Transfer",
            "address": system.cash.address,
            "sender": buyer,
            "receiver": seller,
            "value": 1_012_345,
        },
        {
            "event": "Settled",
            "address": system.dvp.address,
            "settlementId": settlement_id(1),
            "bond": system.bond.address,
            "cash": system.cash.address,
            "seller": seller,
            "buyer": buyer,
            "bondAmount": 10,
            "cashAmount": 1_012_345,
        },
    ]
    assert holdings(system, [seller, buyer]) == [
        (before[0][0] - 10, before[0][1] + 1_012_345),
        (before[1][0] + 10, before[1][1] - 1_012_345),
    ]
    assert system.dvp.isSettled(settlement_id(1))


def test_a_settlement_id_settles_once_only(system: System, investors: list[str]) -> None:
    seller, buyer = investors[0], investors[1]
    with boa.env.prank(system.agent):
        system.dvp.settle(trade(system, 1, seller, buyer, 10, 100))
        after = holdings(system, [seller, buyer])
        for replay in (
            trade(system, 1, seller, buyer, 10, 100),
            trade(system, 1, buyer, seller, 1, 1),  # the same id with other terms
        ):
            with boa.reverts("dvp: settlement id already used"):
                system.dvp.settle(replay)
            with boa.reverts("dvp: settlement id already used"):
                system.dvp.settleBatch([trade(system, 2, seller, buyer, 1, 1), replay])
        with boa.reverts("dvp: settlement id already used"):
            system.dvp.settleBatch(
                [trade(system, 3, seller, buyer, 1, 1), trade(system, 3, seller, buyer, 1, 1)]
            )
    assert holdings(system, [seller, buyer]) == after
    assert not system.dvp.isSettled(settlement_id(2))
    assert not system.dvp.isSettled(settlement_id(3))


def test_a_failed_settlement_leaves_its_id_free_for_a_retry(
    system: System, investors: list[str]
) -> None:
    seller, buyer = investors[0], investors[1]
    with boa.env.prank(system.agent):
        system.bond.setAddressFrozen(seller, True)
        with boa.reverts(restricted(SENDER_FROZEN)):
            system.dvp.settle(trade(system, 1, seller, buyer, 10, 100))
        assert not system.dvp.isSettled(settlement_id(1))
        system.bond.setAddressFrozen(seller, False)
        system.dvp.settle(trade(system, 1, seller, buyer, 10, 100))
    assert system.dvp.isSettled(settlement_id(1))


def test_hybrid_mode_delivers_the_bond_only(system: System, investors: list[str]) -> None:
    seller, buyer = investors[0], investors[1]
    before = holdings(system, [seller, buyer])
    with boa.env.prank(system.agent):
        system.dvp.settle(trade(system, 1, seller, buyer, 10, 0))
    [transfer, settled] = events(system.dvp)
    assert (transfer["address"], transfer["value"]) == (system.bond.address, 10)
    assert (settled["event"], settled["cash"], settled["cashAmount"]) == ("Settled", ZERO, 0)
    assert holdings(system, [seller, buyer]) == [
        (before[0][0] - 10, before[0][1]),
        (before[1][0] + 10, before[1][1]),
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({0: b"\x00" * 32}, "dvp: settlement id is zero"),
        ({4: 0}, "dvp: bond amount is zero"),
        ({6: 0}, "dvp: incomplete cash leg"),  # a cash token but no amount
        ({5: ZERO}, "dvp: incomplete cash leg"),  # an amount but no cash token
    ],
)
def test_malformed_settlements_are_refused(
    system: System, investors: list[str], change: dict[int, Any], message: str
) -> None:
    fields = list(trade(system, 1, investors[0], investors[1], 10, 100))
    for index, value in change.items():
        fields[index] = value
    with boa.env.prank(system.agent), boa.reverts(message):
        system.dvp.settle(tuple(fields))


def test_only_the_agent_settles(system: System, investors: list[str], admin: str) -> None:
    settlement = trade(system, 1, investors[0], investors[1], 10, 100)
    for caller in (admin, investors[0]):
        with boa.env.prank(caller), boa.reverts(MISSING_ROLE):
            system.dvp.settle(settlement)
        with boa.env.prank(caller), boa.reverts(MISSING_ROLE):
            system.dvp.settleBatch([settlement])


def test_pausing_the_dvp_or_a_token_stops_settlement(system: System, investors: list[str]) -> None:
    settlement = trade(system, 1, investors[0], investors[1], 10, 100)
    with boa.env.prank(system.agent):
        system.dvp.pause()
        with boa.reverts("pausable: paused"):
            system.dvp.settle(settlement)
        with boa.reverts("pausable: paused"):
            system.dvp.settleBatch([settlement])
        system.dvp.unpause()
        system.cash.pause()
        with boa.reverts("transfer restricted: paused"):
            system.dvp.settle(settlement)
        system.cash.unpause()
        system.dvp.settle(settlement)


def test_the_legs_obey_every_token_rule(
    system: System, investors: list[str], outsider: str
) -> None:
    seller, buyer = investors[0], investors[1]
    with boa.env.prank(system.agent):
        with boa.reverts(restricted(RECEIVER_NOT_VERIFIED)):
            system.dvp.settle(trade(system, 1, seller, outsider, 10, 0))
        with boa.reverts(restricted(SENDER_NOT_VERIFIED)):
            system.dvp.settle(trade(system, 2, outsider, buyer, 10, 0))
        system.cash.setAddressFrozen(seller, True)  # the seller may not receive cash
        with boa.reverts("transfer restricted: receiver frozen"):
            system.dvp.settle(trade(system, 3, seller, buyer, 10, 100))
        with boa.reverts("transfer restricted: insufficient balance"):
            system.dvp.settle(trade(system, 4, buyer, seller, 10**9, 0))


def test_a_batch_settles_every_trade(system: System, investors: list[str]) -> None:
    a, b, c, d = investors
    batch = [
        trade(system, 1, a, b, 10, 1_000),
        trade(system, 2, b, c, 5, 600),
        trade(system, 3, c, d, 1, 0),  # hybrid and on-chain cash in one batch
        trade(system, 4, d, a, 2, 250),
    ]
    before = holdings(system, investors)
    with boa.env.prank(system.agent):
        system.dvp.settleBatch(batch)
    settled = events(system.dvp, "Settled")
    assert [e["settlementId"] for e in settled] == [settlement_id(n) for n in (1, 2, 3, 4)]
    assert holdings(system, investors) == [
        (before[0][0] - 10 + 2, before[0][1] + 1_000 - 250),
        (before[1][0] + 10 - 5, before[1][1] - 1_000 + 600),
        (before[2][0] + 5 - 1, before[2][1] - 600),
        (before[3][0] + 1 - 2, before[3][1] + 250),
    ]
    assert all(system.dvp.isSettled(settlement_id(n)) for n in (1, 2, 3, 4))


@pytest.mark.parametrize("failing", [0, 2, 4])
def test_one_failing_leg_reverts_the_whole_batch(
    system: System, investors: list[str], failing: int
) -> None:
    a, b, c, _ = investors
    batch = [trade(system, n, a, b, 1, 10) for n in range(5)]
    # The buyer of trade `failing` cannot pay.
    batch[failing] = trade(system, failing, a, c, 1, system.cash.balanceOf(c) + 1)
    before = holdings(system, investors)
    with boa.env.prank(system.agent), boa.reverts("transfer restricted: insufficient balance"):
        system.dvp.settleBatch(batch)
    assert holdings(system, investors) == before
    assert not any(system.dvp.isSettled(settlement_id(n)) for n in range(5))


def test_a_batch_can_mix_bonds(system: System, investors: list[str]) -> None:
    other = system.another_bond()
    seller, buyer = investors[0], investors[1]
    system.mint(other, seller, 50)
    with boa.env.prank(system.agent):
        system.dvp.settleBatch(
            [
                trade(system, 1, seller, buyer, 3, 30),
                trade(system, 2, seller, buyer, 7, 70, bond=other),
            ]
        )
    assert [e["bond"] for e in events(system.dvp, "Settled")] == [
        system.bond.address,
        other.address,
    ]
    assert other.balanceOf(buyer) == 7


def test_without_the_settlement_role_a_leg_needs_an_allowance(
    system: System, investors: list[str], admin: str
) -> None:
    seller, buyer = investors[0], investors[1]
    cash: ABIContract = system.cash
    with boa.env.prank(admin):
        cash.revokeRole(SETTLEMENT_ROLE, system.dvp.address)
    settlement = trade(system, 1, seller, buyer, 1, 500)
    with boa.env.prank(system.agent), boa.reverts("token: insufficient allowance"):
        system.dvp.settle(settlement)
    with boa.env.prank(buyer):
        cash.approve(system.dvp.address, 800)
    with boa.env.prank(system.agent):
        system.dvp.settle(settlement)
    assert cash.allowance(buyer, system.dvp.address) == 300


def test_the_batch_bound(system: System, investors: list[str]) -> None:
    assert system.dvp.MAX_BATCH() == 500
    batch = [trade(system, n, investors[0], investors[1], 1, 0) for n in range(501)]
    with boa.env.prank(system.agent), boa.reverts():
        system.dvp.settleBatch(batch)

"""Netting a batch of trades into the fewest token deliveries (pure).

Within one settlement batch only each participant's net position per bond matters: a wallet
that bought 300 and sold 200 receives 100. Net sellers deliver to net buyers, largest first,
so a batch of n trades among p participants needs at most p - 1 deliveries per bond; the
final balances are the same as settling every trade one by one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Leg:
    """One trade's token leg: `quantity` units of `token` from `seller` to `buyer`."""

    token: str
    seller: str
    buyer: str
    quantity: int


@dataclass(frozen=True, slots=True)
class Delivery:
    """A net movement of `amount` units of `token` from `sender` to `receiver`."""

    token: str
    sender: str
    receiver: str
    amount: int


def net(legs: Iterable[Leg]) -> list[Delivery]:
    """The deliveries that leave every wallet where settling `legs` one by one would, in a
    deterministic order (by token, then largest amounts first, ties by address)."""
    positions: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for leg in legs:
        positions[leg.token][leg.seller] -= leg.quantity
        positions[leg.token][leg.buyer] += leg.quantity
    deliveries: list[Delivery] = []
    for token in sorted(positions):
        deliveries.extend(_deliveries(token, positions[token]))
    return deliveries


def _deliveries(token: str, position: dict[str, int]) -> list[Delivery]:
    sellers = sorted(((-units, who) for who, units in position.items() if units < 0), reverse=True)
    buyers = sorted(((units, who) for who, units in position.items() if units > 0), reverse=True)
    deliveries = []
    s = b = 0
    owed = [units for units, _ in sellers]
    due = [units for units, _ in buyers]
    while s < len(sellers) and b < len(buyers):
        amount = min(owed[s], due[b])
        deliveries.append(Delivery(token, sellers[s][1], buyers[b][1], amount))
        owed[s] -= amount
        due[b] -= amount
        s += owed[s] == 0
        b += due[b] == 0
    return deliveries

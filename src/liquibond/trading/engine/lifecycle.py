"""The order lifecycle as an explicit transition table.

An order's status changes only through :func:`transition`, which refuses any
move the table does not list. ``PENDING_NEW`` is the state an order is built
in from a command; it never rests in the book.

::

    PENDING_NEW ──> NEW ──> PARTIALLY_FILLED ──> FILLED
         │           │  └──> FILLED      │ └────> CANCELLED / EXPIRED
         │           └─────> CANCELLED / EXPIRED
         ├──> PENDING_TRIGGER ──> NEW (triggered)
         │           └─────> CANCELLED / EXPIRED
         └──> REJECTED

FILLED, CANCELLED, EXPIRED and REJECTED are terminal.
"""

from __future__ import annotations

from typing import Protocol

from liquibond.trading.engine.values import OrderStatus

_S = OrderStatus

TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    _S.PENDING_NEW: frozenset({_S.NEW, _S.PENDING_TRIGGER, _S.REJECTED}),
    _S.PENDING_TRIGGER: frozenset({_S.NEW, _S.CANCELLED, _S.EXPIRED}),
    _S.NEW: frozenset({_S.PARTIALLY_FILLED, _S.FILLED, _S.CANCELLED, _S.EXPIRED}),
    _S.PARTIALLY_FILLED: frozenset({_S.PARTIALLY_FILLED, _S.FILLED, _S.CANCELLED, _S.EXPIRED}),
    _S.FILLED: frozenset(),
    _S.CANCELLED: frozenset(),
    _S.EXPIRED: frozenset(),
    _S.REJECTED: frozenset(),
}
"""For each status, the statuses it may move to."""

TERMINAL: frozenset[OrderStatus] = frozenset(s for s, nxt in TRANSITIONS.items() if not nxt)
LIVE: frozenset[OrderStatus] = frozenset({_S.NEW, _S.PARTIALLY_FILLED, _S.PENDING_TRIGGER})
"""Statuses of an order that is in the book (resting or waiting for its trigger)."""


class IllegalTransition(RuntimeError):
    """An attempt to move an order to a status the table does not allow: an engine bug."""

    def __init__(self, order_id: int, old: OrderStatus, new: OrderStatus) -> None:
        super().__init__(f"order {order_id}: illegal transition {old.name} -> {new.name}")
        self.order_id = order_id
        self.old = old
        self.new = new


class HasStatus(Protocol):
    status: OrderStatus

    @property
    def order_id(self) -> int: ...


def transition(
    order: HasStatus,
    new: OrderStatus,
    _table: dict[OrderStatus, frozenset[OrderStatus]] = TRANSITIONS,
) -> None:
    """Move ``order`` to ``new`` or raise :class:`IllegalTransition`.

    This is the only place an order's status is written.
    """
    if new not in _table[order.status]:
        raise IllegalTransition(order.order_id, order.status, new)
    order.status = new

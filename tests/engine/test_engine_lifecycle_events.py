"""Unit tests: the order state machine and the event value objects."""

from __future__ import annotations

import gc
import itertools
import pickle
from typing import Any

import msgspec
import pytest

from liquibond.trading.engine import (
    EVENT_TYPES,
    LIVE,
    TERMINAL,
    TRANSITIONS,
    Book,
    IllegalTransition,
    OrderId,
    OrderStatus,
    transition,
)
from liquibond.trading.engine.book import Order

from .helpers import BUY, SELL, limit

S = OrderStatus


class _Thing:
    def __init__(self, status: OrderStatus) -> None:
        self.order_id = 7
        self.status = status


def test_transition_table_is_exactly_the_documented_lifecycle() -> None:
    assert {
        S.PENDING_NEW: {S.NEW, S.PENDING_TRIGGER, S.REJECTED},
        S.PENDING_TRIGGER: {S.NEW, S.CANCELLED, S.EXPIRED},
        S.NEW: {S.PARTIALLY_FILLED, S.FILLED, S.CANCELLED, S.EXPIRED},
        S.PARTIALLY_FILLED: {S.PARTIALLY_FILLED, S.FILLED, S.CANCELLED, S.EXPIRED},
        S.FILLED: set(),
        S.CANCELLED: set(),
        S.EXPIRED: set(),
        S.REJECTED: set(),
    } == TRANSITIONS
    assert {S.FILLED, S.CANCELLED, S.EXPIRED, S.REJECTED} == TERMINAL
    assert {S.NEW, S.PARTIALLY_FILLED, S.PENDING_TRIGGER} == LIVE


@pytest.mark.parametrize(("old", "new"), list(itertools.product(OrderStatus, OrderStatus)))
def test_transition_allows_only_table_edges(old: OrderStatus, new: OrderStatus) -> None:
    thing = _Thing(old)
    if new in TRANSITIONS[old]:
        transition(thing, new)
        assert thing.status is new
    else:
        with pytest.raises(IllegalTransition) as info:
            transition(thing, new)
        assert thing.status is old
        assert (info.value.order_id, info.value.old, info.value.new) == (7, old, new)


def test_the_engine_refuses_to_reuse_a_finished_order_object() -> None:
    order = Order.of(limit(1, BUY, 1, 100))
    transition(order, S.NEW)
    transition(order, S.FILLED)
    with pytest.raises(IllegalTransition):
        transition(order, S.CANCELLED)


def _sample(cls: type) -> list[Any]:
    return [i + 1 for i in range(len(msgspec.structs.fields(cls)))]


@pytest.mark.parametrize("cls", EVENT_TYPES, ids=lambda c: c.__name__)
def test_events_are_immutable_value_objects(cls: type) -> None:
    values = _sample(cls)
    built = cls(*values)
    names = [f.name for f in msgspec.structs.fields(cls)]
    assert names[0] == "seq"
    assert msgspec.structs.asdict(built) == dict(zip(names, values, strict=True))
    assert built == cls(*values)
    assert built != cls(*[*values[:-1], values[-1] + 1])
    assert hash(built) == hash(cls(*values))
    assert (
        repr(built)
        == f"{cls.__name__}({', '.join(f'{n}={v!r}' for n, v in zip(names, values, strict=True))})"
    )
    assert pickle.loads(pickle.dumps(built)) == built
    with pytest.raises(AttributeError):
        built.seq = 99
    assert built.seq == 1
    assert not gc.is_tracked(built)  # declared gc=False: it holds no references that could cycle


def test_every_event_has_a_gap_free_book_sequence_number() -> None:
    book = Book()
    seen: list[int] = []
    for events in (
        book.submit(limit(1, SELL, 5, 100, account=1, display_qty=2)),
        book.submit(limit(2, BUY, 3, 101, account=2)),
        book.cancel(OrderId(42)),
        book.replace(OrderId(1), qty=4),
        book.cancel_all(),
        book.expire(10),
    ):
        seen.extend(e.seq for e in events)
    assert seen == list(range(1, len(seen) + 1))
    assert book.seq == len(seen)

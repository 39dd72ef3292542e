"""Unit tests: depth, state hash, restore after a crash, audit."""

from __future__ import annotations

import dataclasses

import pytest

from liquibond.trading.engine import (
    Book,
    CorruptBook,
    CorruptSnapshot,
    DepthLevel,
    OrderId,
    OrderStatus,
    TimeInForce,
)

from .helpers import BUY, SELL, limit, queue, stop


def _busy_book() -> Book:
    book = Book("XS2")
    book.submit(limit(1, BUY, 5, 99, account=1))
    book.submit(limit(2, BUY, 4, 99, account=2, display_qty=1))
    book.submit(limit(3, BUY, 2, 98, account=3, tif=TimeInForce.DAY, expire_at=100))
    book.submit(limit(4, SELL, 6, 101, account=4))
    book.submit(limit(5, SELL, 1, 103, account=5))
    book.submit(limit(6, BUY, 2, 101, account=6))  # partial fill of 4
    book.submit(stop(7, SELL, 3, 97, account=7, price=96))
    book.submit(stop(8, BUY, 3, 105, account=8))
    return book


def test_depth_aggregates_displayed_quantity_best_first() -> None:
    book = _busy_book()
    assert book.depth() == book.depth(None)
    assert book.depth(1).bids == (DepthLevel(99, 6, 2),)
    assert book.depth().bids == (DepthLevel(99, 6, 2), DepthLevel(98, 2, 1))
    assert book.depth().asks == (DepthLevel(101, 4, 1), DepthLevel(103, 1, 1))
    assert (book.best_bid, book.best_ask, book.last_price) == (99, 101, 101)
    assert book.depth(0).bids == ()


def test_snapshot_order_and_restore_round_trip() -> None:
    book = _busy_book()
    snaps = book.snapshot()
    assert [s.order_id for s in snaps] == [1, 2, 3, 4, 5, 8, 7]  # bids, asks, buy stops, sell stops
    assert snaps[1].shown_qty == 1 and snaps[1].leaves_qty == 4
    assert snaps[3].status is OrderStatus.PARTIALLY_FILLED
    restored = Book.restore(
        reversed(snaps),
        instrument="XS2",
        last_price=book.last_price,
        seq=book.seq,
        trade_seq=book.trade_seq,
    )
    assert restored.snapshot() == snaps
    assert restored.state_hash() == book.state_hash()
    # Both books react identically from here on.
    for b in (book, restored):
        b.submit(limit(20, SELL, 9, 97, account=20))
    assert restored.state_hash() == book.state_hash()
    assert restored.seq == book.seq


def test_state_hash_sees_queue_order_and_last_price() -> None:
    a, b = Book(), Book()
    a.submit(limit(1, BUY, 1, 99, account=1))
    a.submit(limit(2, BUY, 1, 99, account=2))
    b.submit(limit(2, BUY, 1, 99, account=2))
    b.submit(limit(1, BUY, 1, 99, account=1))
    assert queue(a, BUY, 99) == [1, 2] and queue(b, BUY, 99) == [2, 1]
    assert a.state_hash() != b.state_hash()
    snaps = a.snapshot()
    assert Book.restore(snaps, last_price=None).state_hash() == a.state_hash()
    assert Book.restore(snaps, last_price=100).state_hash() != a.state_hash()


def test_restore_refuses_an_impossible_book() -> None:
    snaps = _busy_book().snapshot()
    with pytest.raises(CorruptSnapshot, match="duplicate"):
        Book.restore([*snaps, snaps[0]])
    with pytest.raises(CorruptSnapshot, match="not live"):
        Book.restore([dataclasses.replace(snaps[0], status=OrderStatus.FILLED)])
    with pytest.raises(CorruptSnapshot, match="add up"):
        Book.restore([dataclasses.replace(snaps[0], leaves_qty=4)])
    with pytest.raises(CorruptSnapshot, match="crossed"):
        Book.restore([snaps[0], dataclasses.replace(snaps[3], price=98)])
    with pytest.raises(CorruptSnapshot, match="shown"):
        Book.restore([dataclasses.replace(snaps[0], shown_qty=0)])


def test_audit_catches_a_corrupted_book() -> None:
    book = _busy_book()
    book.audit()
    book._bid_levels[-99].qty += 1  # tamper with a private aggregate
    with pytest.raises(CorruptBook, match="count/qty"):
        book.audit()


def test_order_lookup_and_len() -> None:
    book = _busy_book()
    assert len(book) == 7
    assert OrderId(8) in book and OrderId(6) not in book
    snap = book.order(OrderId(3))
    assert snap is not None and (snap.tif, snap.expire_at) == (TimeInForce.DAY, 100)
    assert book.order(OrderId(99)) is None

"""Unit tests: cancel, replace and mass cancel (kill switch)."""

from __future__ import annotations

from liquibond.trading.engine import (
    AccountId,
    Book,
    BookDelta,
    CancelAll,
    CancelReason,
    CancelRejected,
    OrderCancelled,
    OrderId,
    OrderReplaced,
    RejectReason,
    ReplaceOrder,
    ReplaceRejected,
    TimeInForce,
)

from .helpers import BUY, SELL, kinds, limit, of, queue, resting, stop, trades

R = RejectReason


def test_cancel() -> None:
    book = Book()
    book.submit(limit(1, BUY, 5, 100, account=4))
    book.submit(limit(2, BUY, 3, 100, account=4))
    events = book.cancel(OrderId(1), AccountId(4))
    assert events == [
        OrderCancelled(3 + 2, OrderId(1), AccountId(4), 5, 0, CancelReason.USER),
        BookDelta(3 + 3, BUY, 100, 3, 1),
    ]
    assert resting(book) == [(2, BUY, 100, 3)]
    assert book.cancel(OrderId(1)) == [CancelRejected(7, OrderId(1), None, R.UNKNOWN_ORDER)]
    assert book.cancel(OrderId(2), AccountId(5)) == [
        CancelRejected(8, OrderId(2), AccountId(5), R.NOT_ORDER_OWNER)
    ]
    assert resting(book) == [(2, BUY, 100, 3)]


def test_cancel_after_a_partial_fill_reports_the_open_quantity() -> None:
    book = Book()
    book.submit(limit(1, SELL, 10, 100, account=1))
    book.submit(limit(2, BUY, 4, 100, account=2))
    cancel = of(book.cancel(OrderId(1)), OrderCancelled)[0]
    assert (cancel.cancelled_qty, cancel.filled_qty) == (6, 4)


def _three_at_100() -> Book:
    book = Book()
    for oid in (1, 2, 3):
        book.submit(limit(oid, BUY, 10, 100, account=oid))
    return book


def test_replace_smaller_keeps_priority() -> None:
    book = _three_at_100()
    events = book.replace(OrderId(1), qty=4)
    assert kinds(events) == ["OrderReplaced", "BookDelta"]
    replaced = events[0]
    assert isinstance(replaced, OrderReplaced) and replaced.priority_kept
    assert (replaced.qty, replaced.leaves_qty) == (4, 4)
    assert queue(book, BUY, 100) == [1, 2, 3]
    assert book.depth().bids[0].qty == 24


def test_replace_bigger_loses_priority() -> None:
    book = _three_at_100()
    events = book.replace(OrderId(1), qty=11)
    assert not of(events, OrderReplaced)[0].priority_kept
    assert queue(book, BUY, 100) == [2, 3, 1]


def test_replace_price_loses_priority_and_may_trade() -> None:
    book = _three_at_100()
    book.submit(limit(4, BUY, 1, 99, account=4))
    book.replace(OrderId(2), price=99)
    assert queue(book, BUY, 100) == [1, 3]
    assert queue(book, BUY, 99) == [4, 2]
    book.submit(limit(5, SELL, 5, 102, account=9))
    events = book.replace(OrderId(5), price=100, qty=25)  # now crosses the bids at 100
    assert kinds(events)[:2] == ["OrderReplaced", "BookDelta"]
    assert trades(events) == [(100, 10, 5, 1), (100, 10, 5, 3)]
    assert resting(book) == [(4, BUY, 99, 1), (2, BUY, 99, 10), (5, SELL, 100, 5)]


def test_replace_quantity_is_the_new_total_including_fills() -> None:
    book = Book()
    book.submit(limit(1, SELL, 10, 100, account=1))
    book.submit(limit(2, BUY, 6, 100, account=2))  # 6 filled, 4 open
    events = book.replace(OrderId(1), qty=8)
    assert (events[0].qty, events[0].leaves_qty, events[0].priority_kept) == (8, 2, True)  # type: ignore[union-attr]
    assert of(book.replace(OrderId(1), qty=6), ReplaceRejected)[0].reason is R.REPLACE_QTY_TOO_LOW
    assert resting(book) == [(1, SELL, 100, 2)]


def test_replace_rejections_leave_the_order_alone() -> None:
    book = Book()
    book.submit(limit(1, BUY, 5, 100, account=1, post_only=True))
    book.submit(limit(2, SELL, 5, 102, account=2))
    book.submit(stop(3, BUY, 5, 110, account=1))
    before = book.state_hash()
    assert of(book.replace(OrderId(9), qty=1), ReplaceRejected)[0].reason is R.UNKNOWN_ORDER
    assert (
        of(book.replace(OrderId(1), qty=1, account=AccountId(2)), ReplaceRejected)[0].reason
        is R.NOT_ORDER_OWNER
    )
    assert of(book.replace(OrderId(3), qty=1), ReplaceRejected)[0].reason is R.NOT_REPLACEABLE
    assert of(book.replace(OrderId(1), price=0), ReplaceRejected)[0].reason is R.INVALID_PRICE
    assert of(book.replace(OrderId(1), qty=0), ReplaceRejected)[0].reason is R.INVALID_QTY
    assert (
        of(book.replace(OrderId(1), price=102), ReplaceRejected)[0].reason is R.POST_ONLY_WOULD_TAKE
    )
    assert book.state_hash() == before


def test_replace_an_iceberg_down_shrinks_its_slice() -> None:
    book = Book()
    book.submit(limit(1, SELL, 10, 100, display_qty=4))
    book.replace(OrderId(1), qty=3)
    snap = book.order(OrderId(1))
    assert snap is not None and (snap.leaves_qty, snap.shown_qty) == (3, 3)
    assert book.depth().asks[0].qty == 3


def test_replace_via_command_object() -> None:
    book = _three_at_100()
    assert book.apply(ReplaceOrder(OrderId(3), qty=2, account=AccountId(3)))[0].priority_kept  # type: ignore[union-attr]


def test_mass_cancel_for_one_account_then_the_kill_switch() -> None:
    book = Book()
    book.submit(limit(1, BUY, 5, 100, account=1))
    book.submit(limit(2, BUY, 5, 99, account=2))
    book.submit(limit(3, SELL, 5, 101, account=1))
    book.submit(limit(4, BUY, 5, 100, account=1, tif=TimeInForce.DAY, expire_at=50))
    book.submit(stop(5, SELL, 5, 90, account=1))
    events = book.apply(CancelAll(AccountId(1)))
    cancels = of(events, OrderCancelled)
    assert [c.order_id for c in cancels] == [1, 3, 4, 5]  # in priority (arrival) order
    assert {c.reason for c in cancels} == {CancelReason.MASS_CANCEL}
    # One delta per touched level, bids then asks, best first, after the cancels.
    assert kinds(events) == ["OrderCancelled"] * 4 + ["BookDelta"] * 2
    assert [(d.side, d.price, d.qty) for d in of(events, BookDelta)] == [
        (BUY, 100, 0),
        (SELL, 101, 0),
    ]
    assert resting(book) == [(2, BUY, 99, 5)]
    book.submit(limit(6, SELL, 5, 120, account=3))
    book.cancel_all()
    assert resting(book) == [] and len(book) == 0
    assert book.depth().bids == () and book.depth().asks == ()
    assert book.cancel_all() == []

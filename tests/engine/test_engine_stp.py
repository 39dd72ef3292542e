"""Unit tests: self-trade prevention, keyed on the account, decided by the taker's mode."""

from __future__ import annotations

from liquibond.trading.engine import (
    Book,
    CancelReason,
    OrderCancelled,
    OrderId,
    OrderReduced,
    OrderRejected,
    RejectReason,
    StpMode,
    TimeInForce,
)

from .helpers import BUY, SELL, kinds, limit, market, of, resting, trades


def _book() -> Book:
    """Asks: 100 -> [1 (acct 1, 2 lots), 2 (acct 7, 4 lots)], 101 -> [3 (acct 2, 5 lots)]."""
    book = Book()
    book.submit(limit(1, SELL, 2, 100, account=1))
    book.submit(limit(2, SELL, 4, 100, account=7))
    book.submit(limit(3, SELL, 5, 101, account=2))
    return book


def _cancels(events: list[object]) -> list[tuple[int, int, CancelReason]]:
    return [(e.order_id, e.cancelled_qty, e.reason) for e in of(events, OrderCancelled)]  # type: ignore[arg-type]


def test_cancel_newest_cancels_the_taker_and_keeps_the_resting_order() -> None:
    book = _book()
    events = book.submit(limit(10, BUY, 6, 101, account=7, stp=StpMode.CANCEL_NEWEST))
    # Trades with order 1 first, then meets its own order 2 at the head: the taker goes.
    assert trades(events) == [(100, 2, 10, 1)]
    assert _cancels(events) == [(10, 4, CancelReason.SELF_TRADE)]
    assert resting(book) == [(2, SELL, 100, 4), (3, SELL, 101, 5)]


def test_cancel_oldest_removes_the_resting_order_and_keeps_matching() -> None:
    book = _book()
    events = book.submit(limit(10, BUY, 6, 101, account=7, stp=StpMode.CANCEL_OLDEST))
    assert trades(events) == [(100, 2, 10, 1), (101, 4, 10, 3)]
    assert _cancels(events) == [(2, 4, CancelReason.SELF_TRADE)]
    assert resting(book) == [(3, SELL, 101, 1)]


def test_cancel_both() -> None:
    book = _book()
    events = book.submit(limit(10, BUY, 6, 101, account=7, stp=StpMode.CANCEL_BOTH))
    assert trades(events) == [(100, 2, 10, 1)]
    assert _cancels(events) == [(2, 4, CancelReason.SELF_TRADE), (10, 4, CancelReason.SELF_TRADE)]
    assert resting(book) == [(3, SELL, 101, 5)]


def test_decrement_when_the_taker_is_larger() -> None:
    book = _book()
    events = book.submit(limit(10, BUY, 9, 101, account=7, stp=StpMode.DECREMENT))
    # 2 traded with order 1; own order 2 (4) and the taker both lose 4 without a trade;
    # the taker's last 3 trade with order 3.
    assert trades(events) == [(100, 2, 10, 1), (101, 3, 10, 3)]
    assert _cancels(events) == [(2, 4, CancelReason.SELF_TRADE)]
    reduced = of(events, OrderReduced)
    assert [(r.order_id, r.reduced_by, r.leaves_qty) for r in reduced] == [(10, 4, 3)]
    assert resting(book) == [(3, SELL, 101, 2)]


def test_decrement_when_the_resting_order_is_larger() -> None:
    book = _book()
    events = book.submit(limit(10, BUY, 5, 101, account=7, stp=StpMode.DECREMENT))
    assert trades(events) == [(100, 2, 10, 1)]
    reduced = of(events, OrderReduced)
    assert [(r.order_id, r.reduced_by, r.leaves_qty) for r in reduced] == [(2, 3, 1)]
    assert _cancels(events) == [(10, 3, CancelReason.SELF_TRADE)]
    assert resting(book) == [(2, SELL, 100, 1), (3, SELL, 101, 5)]
    snap = book.order(OrderId(2))
    assert snap is not None and (snap.cancelled_qty, snap.qty) == (3, 4)


def test_decrement_of_equal_sizes_cancels_both() -> None:
    book = _book()
    events = book.submit(limit(10, BUY, 6, 100, account=7, stp=StpMode.DECREMENT))
    assert trades(events) == [(100, 2, 10, 1)]
    assert _cancels(events) == [(2, 4, CancelReason.SELF_TRADE), (10, 4, CancelReason.SELF_TRADE)]
    assert not of(events, OrderReduced)


def test_decrement_clamps_an_icebergs_shown_slice() -> None:
    book = Book()
    book.submit(limit(1, SELL, 10, 100, account=7, display_qty=4))
    book.submit(market(2, BUY, 8, account=7, stp=StpMode.DECREMENT))
    snap = book.order(OrderId(1))
    assert snap is not None and (snap.leaves_qty, snap.shown_qty) == (2, 2)
    assert book.depth().asks[0].qty == 2


def test_no_mode_ever_trades_an_account_with_itself() -> None:
    for mode in StpMode:
        book = Book()
        book.submit(limit(1, SELL, 5, 100, account=3))
        book.submit(limit(2, SELL, 5, 100, account=4))
        events = book.submit(market(3, BUY, 10, account=3, stp=mode))
        assert all(t[3] != 1 for t in trades(events)), mode


def test_fok_and_stp() -> None:
    # Own order at the head: cancel-newest would stop there, so 4 lots are not fillable.
    book = _book()
    events = book.submit(limit(10, BUY, 4, 101, account=7, tif=TimeInForce.FOK))
    assert of(events, OrderRejected)[0].reason is RejectReason.FOK_NOT_FILLABLE
    assert resting(book) == [(1, SELL, 100, 2), (2, SELL, 100, 4), (3, SELL, 101, 5)]
    # Cancel-oldest removes its own order and goes on: 2 + 5 are there to take.
    events = book.submit(
        limit(11, BUY, 7, 101, account=7, tif=TimeInForce.FOK, stp=StpMode.CANCEL_OLDEST)
    )
    assert trades(events) == [(100, 2, 11, 1), (101, 5, 11, 3)]
    assert kinds(events).count("OrderCancelled") == 1
    assert resting(book) == []

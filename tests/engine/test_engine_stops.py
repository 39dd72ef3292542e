"""Unit tests: STOP and STOP_LIMIT, triggered by the last trade price."""

from __future__ import annotations

from liquibond.trading.engine import (
    Book,
    OrderAccepted,
    OrderCancelled,
    OrderExpired,
    OrderId,
    OrderRejected,
    OrderStatus,
    OrderTriggered,
    OrderType,
    RejectReason,
    TimeInForce,
)

from .helpers import BUY, SELL, kinds, limit, of, resting, stop, trades


def _trade_at(book: Book, price: int, oid: int) -> None:
    """Print a 1-lot trade at ``price`` between two fresh accounts."""
    book.submit(limit(oid, SELL, 1, price, account=100 + oid))
    book.submit(limit(oid + 1, BUY, 1, price, account=200 + oid))


def test_a_stop_waits_without_touching_the_book() -> None:
    book = Book()
    events = book.submit(stop(1, BUY, 5, 105))
    assert kinds(events) == ["OrderAccepted"]  # no BookDelta: a stop is not in L2
    accepted = events[0]
    assert isinstance(accepted, OrderAccepted)
    assert (accepted.order_type, accepted.stop_price, accepted.price) == (OrderType.STOP, 105, None)
    snap = book.order(OrderId(1))
    assert snap is not None and snap.status is OrderStatus.PENDING_TRIGGER
    assert book.depth().bids == () and book.best_bid is None


def test_buy_stop_triggers_at_or_above_its_price_and_trades_as_market() -> None:
    book = Book()
    book.submit(stop(1, BUY, 3, 105, account=1))
    book.submit(limit(10, SELL, 2, 107, account=2))
    book.submit(limit(11, SELL, 5, 110, account=2))
    _trade_at(book, 104, 20)
    assert book.order(OrderId(1)) is not None  # 104 < 105: still waiting
    book.submit(limit(30, SELL, 1, 105, account=3))
    events = book.submit(limit(31, BUY, 1, 105, account=4))
    assert trades(events)[0] == (105, 1, 31, 30)
    triggered = of(events, OrderTriggered)
    assert [(t.order_id, t.stop_price, t.last_price) for t in triggered] == [(1, 105, 105)]
    # After its trigger the stop sweeps as a market order: 2 at 107, 1 at 110.
    after = events[events.index(triggered[0]) :]
    assert trades(after) == [(107, 2, 1, 10), (110, 1, 1, 11)]
    assert book.order(OrderId(1)) is None
    assert book.last_price == 110


def test_a_triggered_stop_with_a_protection_price_stops_there_and_does_not_rest() -> None:
    book = Book()
    book.submit(stop(1, BUY, 3, 105, account=1, price=108, order_type=OrderType.STOP))
    book.submit(limit(10, SELL, 2, 107, account=2))
    book.submit(limit(11, SELL, 5, 110, account=2))
    book.submit(limit(30, SELL, 1, 105, account=3))
    events = book.submit(limit(31, BUY, 1, 105, account=4))
    after = events[events.index(of(events, OrderTriggered)[0]) :]
    assert trades(after) == [(107, 2, 1, 10)]
    assert book.order(OrderId(1)) is None  # the unfilled unit is cancelled, not rested
    assert resting(book) == [(11, SELL, 110, 5)]


def test_sell_stop_limit_triggers_at_or_below_and_rests_at_its_limit() -> None:
    book = Book()
    book.submit(stop(1, SELL, 5, 95, account=1, price=94))
    book.submit(limit(10, BUY, 2, 94, account=2))
    _trade_at(book, 95, 20)
    snap = book.order(OrderId(1))
    assert snap is not None and snap.status is OrderStatus.PARTIALLY_FILLED
    assert resting(book) == [(1, SELL, 94, 3)]
    assert snap.filled_qty == 2


def test_stop_already_reached_triggers_on_arrival() -> None:
    book = Book()
    _trade_at(book, 100, 20)
    book.submit(limit(30, SELL, 4, 101, account=3))
    events = book.submit(stop(1, BUY, 2, 99, account=1))
    assert kinds(events)[:2] == ["OrderAccepted", "OrderTriggered"]
    assert trades(events) == [(101, 2, 1, 30)]


def test_stop_market_with_nothing_to_hit_is_cancelled() -> None:
    book = Book()
    _trade_at(book, 100, 20)
    events = book.submit(stop(1, SELL, 2, 101, account=1))
    assert kinds(events) == ["OrderAccepted", "OrderTriggered", "OrderCancelled"]


def test_triggered_stops_cascade_in_stop_price_order() -> None:
    book = Book()
    book.submit(stop(1, BUY, 1, 103, account=1))
    book.submit(stop(2, BUY, 1, 101, account=2))
    book.submit(limit(10, SELL, 1, 102, account=9))
    book.submit(limit(11, SELL, 1, 104, account=9))
    _trade_at(book, 101, 20)  # triggers 2 (101): it buys at 102 ... which is below 103
    assert book.order(OrderId(1)) is not None
    book.submit(limit(12, SELL, 1, 103, account=9))
    events = book.submit(limit(13, BUY, 1, 103, account=8))
    # 13 trades at 103 -> stop 1 (103) triggers and lifts 104.
    assert [t.order_id for t in of(events, OrderTriggered)] == [1]
    assert trades(events) == [(103, 1, 13, 12), (104, 1, 1, 11)]
    assert len(book) == 0


def test_a_chain_reaction_within_one_command() -> None:
    book = Book()
    book.submit(stop(1, BUY, 1, 101, account=1))
    book.submit(stop(2, BUY, 1, 102, account=2))
    book.submit(limit(10, SELL, 1, 101, account=9))
    book.submit(limit(11, SELL, 1, 102, account=9))
    book.submit(limit(12, SELL, 1, 103, account=9))
    events = book.submit(limit(13, BUY, 1, 101, account=8))
    assert [t.order_id for t in of(events, OrderTriggered)] == [1, 2]
    assert trades(events) == [(101, 1, 13, 10), (102, 1, 1, 11), (103, 1, 2, 12)]


def test_cancel_and_expire_pending_stops() -> None:
    book = Book()
    book.submit(stop(1, BUY, 1, 101))
    book.submit(stop(2, SELL, 1, 90, tif=TimeInForce.GTD, expire_at=10))
    assert of(book.cancel(OrderId(1)), OrderCancelled)[0].order_id == 1
    assert [e.order_id for e in of(book.expire(10), OrderExpired)] == [2]
    assert len(book) == 0
    _trade_at(book, 101, 20)
    assert not of(book.expire(11), OrderTriggered)


def test_stop_validation() -> None:
    book = Book()
    assert of(book.submit(stop(1, BUY, 1, 101, tif=TimeInForce.IOC)), OrderRejected)[0].reason is (
        RejectReason.INVALID_TIME_IN_FORCE
    )
    bad = stop(2, BUY, 1, 101, price=100, display_qty=1)
    assert of(book.submit(bad), OrderRejected)[0].reason is RejectReason.INVALID_DISPLAY_QTY
    assert (
        of(book.submit(stop(3, BUY, 1, 0)), OrderRejected)[0].reason
        is RejectReason.INVALID_STOP_PRICE
    )
    assert (
        of(book.submit(stop(4, BUY, 1, 101, min_qty=1)), OrderRejected)[0].reason
        is RejectReason.INVALID_MIN_QTY
    )

"""Unit tests: order types, time in force and rejections."""

from __future__ import annotations

import pytest

from liquibond.trading.engine import (
    AccountId,
    Book,
    BookDelta,
    DepthLevel,
    NewOrder,
    OrderAccepted,
    OrderCancelled,
    OrderExpired,
    OrderFilled,
    OrderId,
    OrderPartiallyFilled,
    OrderRejected,
    OrderStatus,
    OrderType,
    RejectReason,
    TimeInForce,
    Trade,
)
from liquibond.trading.engine.values import CancelReason

from .helpers import BUY, SELL, kinds, limit, market, of, queue, resting, trades

R = RejectReason


def test_limit_rests_and_reports_l2() -> None:
    book = Book("XS1")
    events = book.submit(limit(1, BUY, 5, 100))
    assert events == [
        OrderAccepted(
            1, OrderId(1), AccountId(1), BUY, OrderType.LIMIT, TimeInForce.GTC, 100, None, 5
        ),
        BookDelta(2, BUY, 100, 5, 1),
    ]
    book.submit(limit(2, BUY, 3, 100))
    book.submit(limit(3, SELL, 4, 103))
    assert book.best_bid == 100 and book.best_ask == 103
    depth = book.depth(5)
    assert depth.bids == (DepthLevel(100, 8, 2),)
    assert depth.asks == (DepthLevel(103, 4, 1),)
    assert book.last_price is None
    snap = book.order(OrderId(1))
    assert snap is not None and snap.status is OrderStatus.NEW and snap.leaves_qty == 5


def test_crossing_limit_trades_at_the_makers_price_then_rests() -> None:
    book = Book()
    book.submit(limit(1, SELL, 5, 100, account=1))
    events = book.submit(limit(2, BUY, 7, 102, account=2))
    assert kinds(events) == [
        "OrderAccepted", "Trade", "OrderFilled", "OrderPartiallyFilled", "BookDelta", "BookDelta",
    ]  # fmt: skip
    trade = of(events, Trade)[0]
    assert (trade.price, trade.qty, trade.taker_side) == (
        100,
        5,
        BUY,
    )  # price improvement for the taker
    maker_fill, taker_fill = events[2], events[3]
    assert (
        isinstance(maker_fill, OrderFilled)
        and maker_fill.order_id == 1
        and maker_fill.filled_qty == 5
    )
    assert isinstance(taker_fill, OrderPartiallyFilled) and taker_fill.leaves_qty == 2
    assert events[4] == BookDelta(events[4].seq, SELL, 100, 0, 0)  # the ask level is gone
    assert events[5] == BookDelta(events[5].seq, BUY, 102, 2, 1)  # the remainder rests
    assert [e.seq for e in events] == list(range(3, 3 + len(events)))
    assert resting(book) == [(2, BUY, 102, 2)]
    assert book.last_price == 100


def test_price_then_time_priority() -> None:
    book = Book()
    book.submit(limit(1, SELL, 2, 101, account=1))
    book.submit(limit(2, SELL, 2, 100, account=2))  # better price, later
    book.submit(limit(3, SELL, 2, 100, account=3))  # same price, later still
    events = book.submit(limit(4, BUY, 5, 101, account=4))
    assert trades(events) == [(100, 2, 4, 2), (100, 2, 4, 3), (101, 1, 4, 1)]
    assert resting(book) == [(1, SELL, 101, 1)]
    partial = of(events, OrderPartiallyFilled)
    assert [p.order_id for p in partial] == [4, 4, 1]
    assert of(events, OrderFilled)[-1].order_id == 4


def test_limit_does_not_trade_through_its_price() -> None:
    book = Book()
    book.submit(limit(1, SELL, 2, 100, account=1))
    book.submit(limit(2, SELL, 2, 102, account=1))
    events = book.submit(limit(3, BUY, 10, 101, account=2))
    assert trades(events) == [(100, 2, 3, 1)]
    assert resting(book) == [(3, BUY, 101, 8), (2, SELL, 102, 2)]


def test_market_ioc_sweeps_and_cancels_the_rest() -> None:
    book = Book()
    book.submit(limit(1, BUY, 3, 99, account=1))
    book.submit(limit(2, BUY, 3, 98, account=1))
    events = book.submit(market(3, SELL, 10, account=2))
    assert trades(events) == [(99, 3, 3, 1), (98, 3, 3, 2)]
    cancel = of(events, OrderCancelled)
    assert [(c.order_id, c.cancelled_qty, c.filled_qty, c.reason) for c in cancel] == [
        (3, 4, 6, CancelReason.UNFILLED)
    ]
    assert resting(book) == []
    assert book.last_price == 98


def test_market_with_a_protection_price_never_trades_beyond_it() -> None:
    book = Book()
    book.submit(limit(1, SELL, 3, 100, account=1))
    book.submit(limit(2, SELL, 3, 105, account=1))
    events = book.submit(market(3, BUY, 6, account=2, price=102))
    assert trades(events) == [(100, 3, 3, 1)]
    assert [(c.order_id, c.cancelled_qty) for c in of(events, OrderCancelled)] == [(3, 3)]
    assert resting(book) == [(2, SELL, 105, 3)]


def test_market_into_an_empty_book_is_cancelled_unfilled() -> None:
    events = Book().submit(market(1, BUY, 5))
    assert kinds(events) == ["OrderAccepted", "OrderCancelled"]
    assert of(events, OrderCancelled)[0].reason is CancelReason.UNFILLED


def test_market_fok() -> None:
    book = Book()
    book.submit(limit(1, SELL, 3, 100, account=1))
    book.submit(limit(2, SELL, 3, 105, account=1))
    rejected = book.submit(market(3, BUY, 7, account=2, tif=TimeInForce.FOK))
    assert rejected == [
        OrderRejected(rejected[0].seq, OrderId(3), AccountId(2), R.FOK_NOT_FILLABLE)
    ]
    assert resting(book) == [(1, SELL, 100, 3), (2, SELL, 105, 3)]
    filled = book.submit(market(4, BUY, 6, account=2, tif=TimeInForce.FOK))
    assert trades(filled) == [(100, 3, 4, 1), (105, 3, 4, 2)]
    assert resting(book) == []


def test_ioc_limit_fills_what_it_can() -> None:
    book = Book()
    book.submit(limit(1, SELL, 3, 100, account=1))
    events = book.submit(limit(2, BUY, 5, 100, account=2, tif=TimeInForce.IOC))
    assert trades(events) == [(100, 3, 2, 1)]
    assert of(events, OrderCancelled)[0].cancelled_qty == 2
    assert resting(book) == []
    # An IOC that does not cross at all is accepted and cancelled, never rests.
    events = book.submit(limit(3, BUY, 5, 90, account=2, tif=TimeInForce.IOC))
    assert kinds(events) == ["OrderAccepted", "OrderCancelled"]
    assert resting(book) == []


def test_fok_limit_counts_only_quantity_within_its_limit() -> None:
    book = Book()
    book.submit(limit(1, SELL, 3, 100, account=1))
    book.submit(limit(2, SELL, 3, 101, account=1))
    events = book.submit(limit(3, BUY, 5, 100, account=2, tif=TimeInForce.FOK))
    assert of(events, OrderRejected)[0].reason is R.FOK_NOT_FILLABLE
    assert not of(events, Trade)
    events = book.submit(limit(4, BUY, 5, 101, account=2, tif=TimeInForce.FOK))
    assert trades(events) == [(100, 3, 4, 1), (101, 2, 4, 2)]
    assert resting(book) == [(2, SELL, 101, 1)]


def test_fok_counts_hidden_iceberg_quantity() -> None:
    book = Book()
    book.submit(limit(1, SELL, 10, 100, account=1, display_qty=2))
    events = book.submit(limit(2, BUY, 9, 100, account=2, tif=TimeInForce.FOK))
    assert sum(t[1] for t in trades(events)) == 9
    assert resting(book) == [(1, SELL, 100, 1)]


def test_day_and_gtd_orders_expire_at_the_time_given() -> None:
    book = Book()
    book.submit(limit(1, BUY, 5, 99, tif=TimeInForce.DAY, expire_at=1_000))
    book.submit(limit(2, BUY, 5, 98, tif=TimeInForce.GTD, expire_at=2_000))
    book.submit(limit(3, BUY, 5, 97))
    assert book.expire(999) == []
    events = book.expire(1_000)
    assert kinds(events) == ["OrderExpired", "BookDelta"]
    expired = events[0]
    assert isinstance(expired, OrderExpired) and (expired.order_id, expired.expired_qty) == (1, 5)
    assert resting(book) == [(2, BUY, 98, 5), (3, BUY, 97, 5)]
    # Time can also arrive on any command: due orders expire before it is applied.
    events = book.submit(limit(4, SELL, 5, 98, account=2, ts=2_500))
    assert kinds(events)[:2] == ["OrderExpired", "BookDelta"]
    assert trades(events) == []  # order 2 expired first, so nothing to cross
    assert resting(book) == [(3, BUY, 97, 5), (4, SELL, 98, 5)]


def test_expiry_events_follow_expire_time_then_priority() -> None:
    book = Book()
    book.submit(limit(1, BUY, 1, 90, tif=TimeInForce.GTD, expire_at=20))
    book.submit(limit(2, BUY, 1, 91, tif=TimeInForce.GTD, expire_at=10))
    book.submit(limit(3, BUY, 1, 92, tif=TimeInForce.GTD, expire_at=20))
    events = book.expire(50)
    assert [e.order_id for e in of(events, OrderExpired)] == [2, 1, 3]
    assert [(e.price, e.qty) for e in of(events, BookDelta)] == [(92, 0), (91, 0), (90, 0)]


@pytest.mark.parametrize(
    ("order", "reason"),
    [
        (limit(1, BUY, 0, 100), R.INVALID_QTY),
        (limit(1, BUY, -3, 100), R.INVALID_QTY),
        (NewOrder(OrderId(1), AccountId(1), BUY, qty=1), R.INVALID_PRICE),
        (limit(1, BUY, 1, 0), R.INVALID_PRICE),
        (market(1, BUY, 1, price=0), R.INVALID_PRICE),
        (market(1, BUY, 1, tif=TimeInForce.GTC), R.INVALID_TIME_IN_FORCE),
        (market(1, BUY, 5, display_qty=1), R.INVALID_DISPLAY_QTY),
        (limit(1, BUY, 1, 100, stop_price=101), R.INVALID_STOP_PRICE),
        (limit(1, BUY, 1, 100, tif=TimeInForce.DAY), R.INVALID_EXPIRY),
        (limit(1, BUY, 1, 100, tif=TimeInForce.GTD, expire_at=0), R.INVALID_EXPIRY),
        (limit(1, BUY, 1, 100, expire_at=10), R.INVALID_EXPIRY),
        (limit(1, BUY, 1, 100, tif=TimeInForce.GTD, expire_at=10, ts=10), R.EXPIRED_ON_ARRIVAL),
        (limit(1, BUY, 5, 100, display_qty=6), R.INVALID_DISPLAY_QTY),
        (limit(1, BUY, 5, 100, display_qty=0), R.INVALID_DISPLAY_QTY),
        (limit(1, BUY, 5, 100, min_qty=6), R.INVALID_MIN_QTY),
        (limit(1, BUY, 5, 100, post_only=True, tif=TimeInForce.IOC), R.INVALID_POST_ONLY),
        (limit(1, BUY, 5, 100, post_only=True, min_qty=1), R.INVALID_POST_ONLY),
        (market(1, BUY, 5, post_only=True), R.INVALID_POST_ONLY),
    ],
)
def test_malformed_orders_are_rejected_with_a_reason(order: NewOrder, reason: RejectReason) -> None:
    book = Book()
    book.submit(limit(99, SELL, 5, 105))
    before = book.state_hash()
    events = book.submit(order)
    assert events == [OrderRejected(3, order.order_id, order.account, reason)]
    assert book.state_hash() == before


def test_duplicate_live_order_id_is_rejected_but_a_finished_id_may_return() -> None:
    book = Book()
    book.submit(limit(1, BUY, 5, 100))
    assert (
        of(book.submit(limit(1, SELL, 5, 110, account=2)), OrderRejected)[0].reason
        is R.DUPLICATE_ORDER_ID
    )
    book.cancel(OrderId(1))
    assert kinds(book.submit(limit(1, SELL, 5, 110, account=2))) == ["OrderAccepted", "BookDelta"]


def test_post_only() -> None:
    book = Book()
    book.submit(limit(1, SELL, 5, 101, account=1))
    assert kinds(book.submit(limit(2, BUY, 5, 100, account=2, post_only=True))) == [
        "OrderAccepted",
        "BookDelta",
    ]
    before = book.state_hash()
    events = book.submit(limit(3, BUY, 5, 101, account=2, post_only=True))
    assert of(events, OrderRejected)[0].reason is R.POST_ONLY_WOULD_TAKE
    assert book.state_hash() == before


def test_min_qty_must_trade_on_arrival_then_rests() -> None:
    book = Book()
    book.submit(limit(1, SELL, 3, 100, account=1))
    rejected = book.submit(limit(2, BUY, 10, 100, account=2, min_qty=4))
    assert of(rejected, OrderRejected)[0].reason is R.MIN_QTY_NOT_MET
    assert resting(book) == [(1, SELL, 100, 3)]
    events = book.submit(limit(3, BUY, 10, 100, account=2, min_qty=3))
    assert trades(events) == [(100, 3, 3, 1)]
    assert resting(book) == [(3, BUY, 100, 7)]  # the remainder rests as a normal order
    # A passive order with a minimum quantity cannot meet it on arrival.
    events = book.submit(limit(4, SELL, 5, 120, account=3, min_qty=1))
    assert of(events, OrderRejected)[0].reason is R.MIN_QTY_NOT_MET


def test_all_or_none_fills_completely_or_not_at_all() -> None:
    book = Book()
    book.submit(limit(1, SELL, 3, 100, account=1))
    book.submit(limit(2, SELL, 3, 101, account=1))
    events = book.submit(limit(3, BUY, 7, 101, account=2, all_or_none=True))
    assert of(events, OrderRejected)[0].reason is R.MIN_QTY_NOT_MET
    events = book.submit(limit(4, BUY, 6, 101, account=2, all_or_none=True))
    assert sum(t[1] for t in trades(events)) == 6
    assert resting(book) == []


def test_iceberg_shows_its_slice_and_requeues_at_the_back() -> None:
    book = Book()
    book.submit(limit(1, SELL, 10, 100, account=1, display_qty=3))
    book.submit(limit(2, SELL, 2, 100, account=2))
    assert book.depth().asks == (DepthLevel(100, 5, 2),)  # 3 shown + 2
    events = book.submit(limit(3, BUY, 3, 100, account=3))
    assert trades(events) == [(100, 3, 3, 1)]
    # The slice was used up: a new one of 3 is shown, behind order 2.
    assert queue(book, SELL, 100) == [2, 1]
    assert book.depth().asks == (DepthLevel(100, 5, 2),)
    events = book.submit(limit(4, BUY, 6, 100, account=3))
    assert trades(events) == [(100, 2, 4, 2), (100, 3, 4, 1), (100, 1, 4, 1)]
    snap = book.order(OrderId(1))
    assert snap is not None
    assert (snap.leaves_qty, snap.shown_qty, snap.filled_qty) == (3, 2, 7)
    assert book.depth().asks == (DepthLevel(100, 2, 1),)


def test_iceberg_alone_at_its_level_keeps_refreshing_for_one_taker() -> None:
    book = Book()
    book.submit(limit(1, SELL, 7, 100, account=1, display_qty=2))
    events = book.submit(limit(2, BUY, 7, 100, account=2))
    assert trades(events) == [(100, 2, 2, 1), (100, 2, 2, 1), (100, 2, 2, 1), (100, 1, 2, 1)]
    assert resting(book) == []
    assert of(events, BookDelta)[-1].qty == 0


def test_partial_fill_status_and_quantities() -> None:
    book = Book()
    book.submit(limit(1, SELL, 10, 100, account=1))
    book.submit(limit(2, BUY, 4, 100, account=2))
    snap = book.order(OrderId(1))
    assert snap is not None
    assert (snap.status, snap.filled_qty, snap.leaves_qty) == (OrderStatus.PARTIALLY_FILLED, 4, 6)
    assert book.order(OrderId(2)) is None  # filled orders leave the book


@pytest.mark.parametrize(
    "bad",
    [
        {"side": 1},
        {"qty": 1.5},
        {"price": 100.0},
        {"price": True},
        {"order_type": 1},
        {"tif": "GTC"},
        {"post_only": 1},
        {"expire_at": 10.0},
    ],
)
def test_commands_refuse_wrong_types_at_construction(bad: dict[str, object]) -> None:
    """A float price or a raw int for an enum is a programming error, not a reject."""
    fields: dict[str, object] = {"order_id": 1, "account": 2, "side": BUY, "qty": 5, "price": 100}
    fields.update(bad)
    with pytest.raises(TypeError, match=next(iter(bad))):
        NewOrder(**fields)  # type: ignore[arg-type]


def test_next_expiry_is_the_earliest_live_day_or_gtd_order() -> None:
    book = Book()
    assert book.next_expiry() is None
    book.submit(limit(1, BUY, 1, 90, tif=TimeInForce.GTD, expire_at=50))
    book.submit(limit(2, BUY, 1, 91, tif=TimeInForce.DAY, expire_at=30))
    assert book.next_expiry() == 30
    book.cancel(OrderId(2))
    assert book.next_expiry() == 50
    book.expire(50)
    assert book.next_expiry() is None

"""Shared builders and checkers for the engine tests."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from liquibond.trading.engine import (
    AccountId,
    Book,
    BookDelta,
    Command,
    Event,
    NewOrder,
    OrderAccepted,
    OrderCancelled,
    OrderExpired,
    OrderFilled,
    OrderId,
    OrderPartiallyFilled,
    OrderReduced,
    OrderReplaced,
    OrderType,
    Side,
    TimeInForce,
    Trade,
)

BUY = Side.BUY
SELL = Side.SELL


def limit(oid: int, side: Side, qty: int, price: int, account: int = 1, **kw: Any) -> NewOrder:
    return NewOrder(OrderId(oid), AccountId(account), side, qty=qty, price=price, **kw)


def market(
    oid: int, side: Side, qty: int, account: int = 1, tif: TimeInForce = TimeInForce.IOC, **kw: Any
) -> NewOrder:
    return NewOrder(
        OrderId(oid), AccountId(account), side, qty=qty, order_type=OrderType.MARKET, tif=tif, **kw
    )


def stop(
    oid: int,
    side: Side,
    qty: int,
    stop_price: int,
    account: int = 1,
    price: int | None = None,
    order_type: OrderType | None = None,
    **kw: Any,
) -> NewOrder:
    """A stop; with a `price` a STOP_LIMIT unless `order_type` says STOP (protection price)."""
    otype = order_type or (OrderType.STOP if price is None else OrderType.STOP_LIMIT)
    return NewOrder(
        OrderId(oid),
        AccountId(account),
        side,
        qty=qty,
        price=price,
        stop_price=stop_price,
        order_type=otype,
        **kw,
    )


def of(events: Iterable[Event], cls: type) -> list[Any]:
    return [e for e in events if type(e) is cls]


def kinds(events: Iterable[Event]) -> list[str]:
    return [type(e).__name__ for e in events]


def trades(events: Iterable[Event]) -> list[tuple[int, int, int, int]]:
    """(price, qty, taker, maker) of every trade."""
    return [(e.price, e.qty, e.taker_order_id, e.maker_order_id) for e in of(events, Trade)]


def resting(book: Book) -> list[tuple[int, Side, int | None, int]]:
    """(order_id, side, price, leaves) of the live orders in canonical order."""
    return [(s.order_id, s.side, s.price, s.leaves_qty) for s in book.snapshot()]


def queue(book: Book, side: Side, price: int) -> list[int]:
    """Order ids at one level in queue order."""
    return [
        s.order_id
        for s in book.snapshot()
        if s.side is side and s.price == price and s.status.name != "PENDING_TRIGGER"
    ]


def run(book: Book, commands: Iterable[Command]) -> list[list[Event]]:
    return [book.apply(c) for c in commands]


class Ledger:
    """Follows the event stream like a downstream consumer would and checks it.

    - every event's ``seq`` is the previous one + 1;
    - an L2 book rebuilt only from BookDelta events equals ``book.depth()`` after each command;
    - every Trade is followed by the maker's then the taker's fill event with matching numbers;
    - no trade is a self-trade;
    - per order, filled + open + cancelled/expired/reduced == its (last replaced) quantity.
    """

    def __init__(self) -> None:
        self.seq = 0
        self.l2: dict[tuple[Side, int], tuple[int, int]] = {}
        self.qty: dict[int, int] = {}
        self.filled: dict[int, int] = {}
        self.removed: dict[int, int] = {}
        self.done: set[int] = set()

    def feed(self, book: Book, events: list[Event]) -> None:
        for i, e in enumerate(events):
            assert e.seq == self.seq + 1, (e, self.seq)
            self.seq = e.seq
            if isinstance(e, BookDelta):
                if e.qty == 0:
                    assert e.count == 0, e
                    self.l2.pop((e.side, e.price), None)
                else:
                    assert e.count > 0, e
                    self.l2[(e.side, e.price)] = (e.qty, e.count)
            elif isinstance(e, OrderAccepted):
                self.qty[e.order_id] = e.qty
                self.filled[e.order_id] = 0
                self.removed[e.order_id] = 0
                self.done.discard(e.order_id)
            elif isinstance(e, Trade):
                assert e.taker_account != e.maker_account, f"self-trade {e}"
                assert e.qty > 0
                maker_ev, taker_ev = events[i + 1], events[i + 2]
                for fe, oid in ((maker_ev, e.maker_order_id), (taker_ev, e.taker_order_id)):
                    assert isinstance(fe, OrderFilled | OrderPartiallyFilled), fe
                    assert (fe.order_id, fe.trade_id, fe.price, fe.qty) == (
                        oid,
                        e.trade_id,
                        e.price,
                        e.qty,
                    )
                    self.filled[oid] += e.qty
                    assert fe.filled_qty == self.filled[oid], (fe, self.filled[oid])
                    if isinstance(fe, OrderFilled):
                        assert self.filled[oid] + self.removed[oid] == self.qty[oid], fe
                        self.done.add(oid)
                    else:
                        assert (
                            fe.leaves_qty
                            == self.qty[oid] - self.filled[oid] - self.removed[oid]
                            > 0
                        )
            elif isinstance(e, OrderCancelled | OrderExpired):
                oid = e.order_id
                gone = e.cancelled_qty if isinstance(e, OrderCancelled) else e.expired_qty
                self.removed[oid] += gone
                assert e.filled_qty == self.filled[oid]
                assert self.filled[oid] + self.removed[oid] == self.qty[oid], (e, self.qty[oid])
                self.done.add(oid)
            elif isinstance(e, OrderReduced):
                self.removed[e.order_id] += e.reduced_by
                assert (
                    e.leaves_qty
                    == self.qty[e.order_id] - self.filled[e.order_id] - self.removed[e.order_id]
                    > 0
                )
            elif isinstance(e, OrderReplaced):
                self.qty[e.order_id] = e.qty
                assert (
                    e.leaves_qty == e.qty - self.filled[e.order_id] - self.removed[e.order_id] > 0
                )
        depth = book.depth()
        rebuilt = {(BUY, d.price): (d.qty, d.count) for d in depth.bids}
        rebuilt |= {(SELL, d.price): (d.qty, d.count) for d in depth.asks}
        assert self.l2 == rebuilt, (self.l2, rebuilt)
        # Quantity conservation for every live order, straight from the book.
        for s in book.snapshot():
            assert s.filled_qty + s.leaves_qty + s.cancelled_qty == s.qty
            assert self.qty[s.order_id] == s.qty
            assert self.filled[s.order_id] == s.filled_qty
            assert self.removed[s.order_id] == s.cancelled_qty
            assert s.order_id not in self.done

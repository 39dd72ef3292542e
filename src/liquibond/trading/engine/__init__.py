"""The matching engine: one pure, deterministic order book per instrument.

No I/O, no clock, no database: commands in, immutable events out. Prices are
integer ticks, quantities integer lots. See :mod:`.book` for the data structures,
:mod:`.lifecycle` for the order state machine, :mod:`.commands` and :mod:`.events`
for the vocabulary.

>>> from liquibond.trading.engine import Book, NewOrder, Side, OrderId, AccountId
>>> book = Book("XS0000000001")
>>> _ = book.submit(NewOrder(OrderId(1), AccountId(7), Side.SELL, qty=5, price=10_000))
>>> events = book.submit(NewOrder(OrderId(2), AccountId(8), Side.BUY, qty=2, price=10_001))
>>> [type(e).__name__ for e in events]
['OrderAccepted', 'Trade', 'OrderPartiallyFilled', 'OrderFilled', 'BookDelta']
"""

from liquibond.trading.engine.book import (
    Book,
    CorruptBook,
    CorruptSnapshot,
    Depth,
    DepthLevel,
    OrderSnapshot,
)
from liquibond.trading.engine.commands import (
    CancelAll,
    CancelOrder,
    Command,
    Expire,
    NewOrder,
    ReplaceOrder,
)
from liquibond.trading.engine.events import (
    EVENT_TYPES,
    BookDelta,
    CancelRejected,
    Event,
    OrderAccepted,
    OrderCancelled,
    OrderExpired,
    OrderFilled,
    OrderPartiallyFilled,
    OrderReduced,
    OrderRejected,
    OrderReplaced,
    OrderTriggered,
    ReplaceRejected,
    Trade,
)
from liquibond.trading.engine.lifecycle import (
    LIVE,
    TERMINAL,
    TRANSITIONS,
    IllegalTransition,
    transition,
)
from liquibond.trading.engine.values import (
    MAX_TICKS,
    AccountId,
    CancelReason,
    OrderId,
    OrderStatus,
    OrderType,
    RejectReason,
    Side,
    StpMode,
    TimeInForce,
)

__all__ = [
    "EVENT_TYPES",
    "LIVE",
    "MAX_TICKS",
    "TERMINAL",
    "TRANSITIONS",
    "AccountId",
    "Book",
    "BookDelta",
    "CancelAll",
    "CancelOrder",
    "CancelReason",
    "CancelRejected",
    "Command",
    "CorruptBook",
    "CorruptSnapshot",
    "Depth",
    "DepthLevel",
    "Event",
    "Expire",
    "IllegalTransition",
    "NewOrder",
    "OrderAccepted",
    "OrderCancelled",
    "OrderExpired",
    "OrderFilled",
    "OrderId",
    "OrderPartiallyFilled",
    "OrderReduced",
    "OrderRejected",
    "OrderReplaced",
    "OrderSnapshot",
    "OrderStatus",
    "OrderTriggered",
    "OrderType",
    "RejectReason",
    "ReplaceOrder",
    "ReplaceRejected",
    "Side",
    "StpMode",
    "TimeInForce",
    "Trade",
    "transition",
]

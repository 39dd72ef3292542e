"""A naive reference matcher: the engine's rules written as plainly as possible.

No heaps, no linked lists, no fast paths, no dry-run simulator: the best maker is
found by sorting every resting order on each step, and fill-or-kill / all-or-none /
minimum quantity are decided by matching a deep copy of the whole book and looking
at the result. It is slow and obviously correct-by-reading, which is the point: the
property tests run the same commands through both and compare what happens.

Its output per command is a list of *effects*, normalised tuples that the engine's
events are mapped to by :func:`effects_of` (BookDelta and the per-order fill events
are checked separately, against the L2 book and the trades).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from liquibond.trading.engine import (
    BookDelta,
    CancelAll,
    CancelOrder,
    CancelReason,
    CancelRejected,
    Command,
    Event,
    Expire,
    NewOrder,
    OrderAccepted,
    OrderCancelled,
    OrderExpired,
    OrderFilled,
    OrderPartiallyFilled,
    OrderReduced,
    OrderRejected,
    OrderReplaced,
    OrderStatus,
    OrderTriggered,
    OrderType,
    RejectReason,
    ReplaceOrder,
    ReplaceRejected,
    Side,
    StpMode,
    TimeInForce,
    Trade,
)

MAX = (1 << 62) - 1
S = OrderStatus
RESTING_TIFS = (TimeInForce.GTC, TimeInForce.DAY, TimeInForce.GTD)

Effect = tuple[object, ...]


@dataclass
class RefOrder:
    order_id: int
    account: int
    side: Side
    order_type: OrderType
    tif: TimeInForce
    price: int | None
    stop_price: int | None
    qty: int
    leaves: int
    shown: int
    filled: int
    cancelled: int
    status: OrderStatus
    priority: int
    expire_at: int | None
    display: int | None
    stp: StpMode
    post_only: bool

    @property
    def resting(self) -> bool:
        return self.status in (S.NEW, S.PARTIALLY_FILLED)


def effects_of(events: list[Event]) -> list[Effect]:
    """Map engine events to the reference's effect tuples."""
    out: list[Effect] = []
    for e in events:
        if isinstance(e, OrderAccepted):
            out.append(("accepted", e.order_id))
        elif isinstance(e, OrderRejected):
            out.append(("rejected", e.order_id, e.reason))
        elif isinstance(e, Trade):
            out.append(("trade", e.price, e.qty, e.taker_order_id, e.maker_order_id))
        elif isinstance(e, OrderCancelled):
            out.append(("cancelled", e.order_id, e.cancelled_qty, e.reason))
        elif isinstance(e, OrderReduced):
            out.append(("reduced", e.order_id, e.reduced_by, e.leaves_qty))
        elif isinstance(e, OrderExpired):
            out.append(("expired", e.order_id, e.expired_qty))
        elif isinstance(e, OrderTriggered):
            out.append(("triggered", e.order_id))
        elif isinstance(e, OrderReplaced):
            out.append(("replaced", e.order_id, e.price, e.qty, e.leaves_qty, e.priority_kept))
        elif isinstance(e, CancelRejected):
            out.append(("cancel_rejected", e.order_id, e.reason))
        elif isinstance(e, ReplaceRejected):
            out.append(("replace_rejected", e.order_id, e.reason))
        else:
            assert isinstance(e, BookDelta | OrderFilled | OrderPartiallyFilled), e
    return out


class RefBook:
    def __init__(self) -> None:
        self.orders: dict[int, RefOrder] = {}  # live: resting or pending trigger
        self.prio = 0
        self.last: int | None = None
        self.out: list[Effect] = []

    # -------------------------------------------------------------- helpers

    def _next_prio(self) -> int:
        self.prio += 1
        return self.prio

    def resting(self, side: Side) -> list[RefOrder]:
        """Resting orders of one side in priority order (best price, then oldest)."""
        sign = -1 if side is Side.BUY else 1
        live = [o for o in self.orders.values() if o.resting and o.side is side]
        return sorted(live, key=lambda o: (sign * o.price, o.priority))  # type: ignore[operator]

    def crosses(self, side: Side, price: int | None) -> bool:
        makers = self.resting(Side.SELL if side is Side.BUY else Side.BUY)
        if not makers:
            return False
        if price is None:
            return True
        best = makers[0].price
        assert best is not None
        return best <= price if side is Side.BUY else best >= price

    def _close(self, o: RefOrder, status: OrderStatus, reason: CancelReason | None) -> None:
        qty = o.leaves
        o.cancelled += qty
        o.leaves = o.shown = 0
        o.status = status
        self.orders.pop(o.order_id, None)
        if status is S.EXPIRED:
            self.out.append(("expired", o.order_id, qty))
        else:
            self.out.append(("cancelled", o.order_id, qty, reason))

    # -------------------------------------------------------------- commands

    def apply(self, c: Command) -> list[Effect]:
        self.out = []
        if isinstance(c, NewOrder):
            self._expire(c.ts)
            self._new(c)
        elif isinstance(c, CancelOrder):
            self._expire(c.ts)
            self._cancel(c)
        elif isinstance(c, ReplaceOrder):
            self._expire(c.ts)
            self._replace(c)
        elif isinstance(c, CancelAll):
            self._expire(c.ts)
            victims = [
                o for o in self.orders.values() if c.account is None or o.account == c.account
            ]
            for o in sorted(victims, key=lambda o: o.priority):
                self._close(o, S.CANCELLED, CancelReason.MASS_CANCEL)
        else:
            assert isinstance(c, Expire)
            self._expire(c.now)
        return self.out

    def _expire(self, now: int) -> None:
        if not now:
            return
        due = [o for o in self.orders.values() if o.expire_at is not None and o.expire_at <= now]
        for o in sorted(due, key=lambda o: (o.expire_at, o.priority)):
            self._close(o, S.EXPIRED, None)

    @staticmethod
    def validate(c: NewOrder, live_ids: set[int]) -> RejectReason | None:
        R = RejectReason
        T = OrderType
        if not 0 < c.qty <= MAX:
            return R.INVALID_QTY
        if c.price is None:
            if c.order_type in (T.LIMIT, T.STOP_LIMIT):
                return R.INVALID_PRICE
        elif not 0 < c.price <= MAX:  # on MARKET and STOP: a protection price
            return R.INVALID_PRICE
        if c.order_type is T.LIMIT:
            if c.stop_price is not None:
                return R.INVALID_STOP_PRICE
        elif c.order_type is T.MARKET:
            if c.stop_price is not None:
                return R.INVALID_STOP_PRICE
            if c.tif not in (TimeInForce.IOC, TimeInForce.FOK):
                return R.INVALID_TIME_IN_FORCE
            if c.display_qty is not None:
                return R.INVALID_DISPLAY_QTY
        else:
            if c.stop_price is None or not 0 < c.stop_price <= MAX:
                return R.INVALID_STOP_PRICE
            if c.tif not in RESTING_TIFS:
                return R.INVALID_TIME_IN_FORCE
            if c.display_qty is not None:
                return R.INVALID_DISPLAY_QTY
            if c.min_qty is not None or c.all_or_none:
                return R.INVALID_MIN_QTY
        if c.tif in (TimeInForce.DAY, TimeInForce.GTD):
            if c.expire_at is None or c.expire_at <= 0:
                return R.INVALID_EXPIRY
            if c.ts and c.expire_at <= c.ts:
                return R.EXPIRED_ON_ARRIVAL
        elif c.expire_at is not None:
            return R.INVALID_EXPIRY
        if c.display_qty is not None and not 0 < c.display_qty <= c.qty:
            return R.INVALID_DISPLAY_QTY
        if c.min_qty is not None and not 0 < c.min_qty <= c.qty:
            return R.INVALID_MIN_QTY
        if c.post_only and (
            c.order_type is not T.LIMIT
            or c.tif not in RESTING_TIFS
            or c.min_qty is not None
            or c.all_or_none
        ):
            return R.INVALID_POST_ONLY
        if c.order_id in live_ids:
            return R.DUPLICATE_ORDER_ID
        return None

    def _new(self, c: NewOrder) -> None:
        reason = self.validate(c, set(self.orders))
        if reason is not None:
            self.out.append(("rejected", c.order_id, reason))
            return
        o = RefOrder(
            order_id=c.order_id, account=c.account, side=c.side, order_type=c.order_type,
            tif=c.tif, price=c.price, stop_price=c.stop_price, qty=c.qty, leaves=c.qty,
            shown=0, filled=0, cancelled=0, status=S.PENDING_NEW, priority=0,
            expire_at=c.expire_at, display=c.display_qty, stp=c.stp, post_only=c.post_only,
        )  # fmt: skip
        if c.order_type in (OrderType.STOP, OrderType.STOP_LIMIT):
            o.status = S.PENDING_TRIGGER
            o.priority = self._next_prio()
            self.orders[o.order_id] = o
            self.out.append(("accepted", o.order_id))
            self._run_stops()
            return
        crosses = self.crosses(o.side, o.price)
        if c.post_only and crosses:
            self.out.append(("rejected", c.order_id, RejectReason.POST_ONLY_WOULD_TAKE))
            return
        need = c.qty if (c.tif is TimeInForce.FOK or c.all_or_none) else c.min_qty
        if need is not None and self._would_fill(o) < need:
            reason = (
                RejectReason.FOK_NOT_FILLABLE
                if c.tif is TimeInForce.FOK
                else RejectReason.MIN_QTY_NOT_MET
            )
            self.out.append(("rejected", c.order_id, reason))
            return
        o.status = S.NEW
        o.priority = self._next_prio()
        self.out.append(("accepted", o.order_id))
        traded = self._match(o)
        self._finish(o)
        if traded:
            self._run_stops()

    def _would_fill(self, taker: RefOrder) -> int:
        """Match a copy of the taker against a copy of the book; report what filled."""
        shadow = copy.deepcopy(self)
        t = copy.deepcopy(taker)
        t.status = S.NEW
        shadow._match(t)
        return t.filled

    def _finish(self, o: RefOrder) -> None:
        if o.leaves == 0 or o.status is S.CANCELLED:
            return
        if o.order_type in (OrderType.LIMIT, OrderType.STOP_LIMIT) and o.tif in RESTING_TIFS:
            o.shown = o.leaves if o.display is None else min(o.display, o.leaves)
            self.orders[o.order_id] = o
        else:
            self._close(o, S.CANCELLED, CancelReason.UNFILLED)

    def _match(self, t: RefOrder) -> bool:
        """Cross ``t`` with the book; True if anything traded."""
        traded = False
        opposite = Side.SELL if t.side is Side.BUY else Side.BUY
        while t.leaves:
            makers = self.resting(opposite)
            if not makers:
                break
            m = makers[0]
            assert m.price is not None
            beyond = t.price is not None and (
                (t.side is Side.BUY and m.price > t.price)
                or (t.side is Side.SELL and m.price < t.price)
            )
            if beyond:
                break
            if m.account == t.account:
                mode = t.stp
                if mode in (StpMode.CANCEL_OLDEST, StpMode.CANCEL_BOTH):
                    self._close(m, S.CANCELLED, CancelReason.SELF_TRADE)
                    if mode is StpMode.CANCEL_OLDEST:
                        continue
                    self._close(t, S.CANCELLED, CancelReason.SELF_TRADE)
                    break
                if mode is StpMode.CANCEL_NEWEST:
                    self._close(t, S.CANCELLED, CancelReason.SELF_TRADE)
                    break
                q = min(t.leaves, m.leaves)
                if q == m.leaves:
                    self._close(m, S.CANCELLED, CancelReason.SELF_TRADE)
                else:
                    m.leaves -= q
                    m.cancelled += q
                    m.shown = min(m.shown, m.leaves)
                    self.out.append(("reduced", m.order_id, q, m.leaves))
                if q == t.leaves:
                    self._close(t, S.CANCELLED, CancelReason.SELF_TRADE)
                    break
                t.leaves -= q
                t.cancelled += q
                self.out.append(("reduced", t.order_id, q, t.leaves))
                continue
            fill = min(t.leaves, m.shown)
            self.out.append(("trade", m.price, fill, t.order_id, m.order_id))
            traded = True
            self.last = m.price
            m.shown -= fill
            m.leaves -= fill
            m.filled += fill
            t.leaves -= fill
            t.filled += fill
            if m.leaves == 0:
                m.status = S.FILLED
                del self.orders[m.order_id]
            else:
                m.status = S.PARTIALLY_FILLED
                if m.shown == 0:
                    assert m.display is not None
                    m.shown = min(m.display, m.leaves)
                    m.priority = self._next_prio()
            t.status = S.FILLED if t.leaves == 0 else S.PARTIALLY_FILLED
        return traded

    def _run_stops(self) -> None:
        while self.last is not None:
            last = self.last
            ready = [
                o
                for o in self.orders.values()
                if o.status is S.PENDING_TRIGGER
                and (
                    (o.side is Side.BUY and o.stop_price <= last)  # type: ignore[operator]
                    or (o.side is Side.SELL and o.stop_price >= last)  # type: ignore[operator]
                )
            ]
            if not ready:
                return
            buys = sorted(
                (o for o in ready if o.side is Side.BUY), key=lambda o: (o.stop_price, o.priority)
            )
            sells = sorted(
                (o for o in ready if o.side is Side.SELL), key=lambda o: (-o.stop_price, o.priority)
            )  # type: ignore[operator]
            heads = [x[0] for x in (buys, sells) if x]
            o = min(heads, key=lambda o: o.priority)
            del self.orders[o.order_id]
            o.status = S.NEW
            o.priority = self._next_prio()
            self.out.append(("triggered", o.order_id))
            self._match(o)
            self._finish(o)

    def _cancel(self, c: CancelOrder) -> None:
        o = self.orders.get(c.order_id)
        if o is None:
            self.out.append(("cancel_rejected", c.order_id, RejectReason.UNKNOWN_ORDER))
        elif c.account is not None and o.account != c.account:
            self.out.append(("cancel_rejected", c.order_id, RejectReason.NOT_ORDER_OWNER))
        else:
            self._close(o, S.CANCELLED, CancelReason.USER)

    def _replace(self, c: ReplaceOrder) -> None:
        R = RejectReason
        o = self.orders.get(c.order_id)
        reason = None
        if o is None:
            reason = R.UNKNOWN_ORDER
        elif c.account is not None and o.account != c.account:
            reason = R.NOT_ORDER_OWNER
        elif o.status is S.PENDING_TRIGGER:
            reason = R.NOT_REPLACEABLE
        elif c.price is not None and not 0 < c.price <= MAX:
            reason = R.INVALID_PRICE
        elif c.qty is not None and not 0 < c.qty <= MAX:
            reason = R.INVALID_QTY
        if reason is None:
            assert o is not None
            new_price = o.price if c.price is None else c.price
            new_qty = o.qty if c.qty is None else c.qty
            new_leaves = new_qty - o.filled - o.cancelled
            if new_leaves <= 0:
                reason = R.REPLACE_QTY_TOO_LOW
            elif new_price == o.price and new_leaves <= o.leaves:
                o.qty, o.leaves = new_qty, new_leaves
                o.shown = min(o.shown, new_leaves)
                self.out.append(("replaced", o.order_id, new_price, new_qty, new_leaves, True))
                return
            elif o.post_only and self.crosses(o.side, new_price):
                reason = R.POST_ONLY_WOULD_TAKE
            else:
                del self.orders[o.order_id]
                o.qty, o.leaves, o.price = new_qty, new_leaves, new_price
                o.priority = self._next_prio()
                self.out.append(("replaced", o.order_id, new_price, new_qty, new_leaves, False))
                traded = self._match(o)
                self._finish(o)
                if traded:
                    self._run_stops()
                return
        self.out.append(("replace_rejected", c.order_id, reason))

    # -------------------------------------------------------------- views

    def canonical(self) -> list[tuple[object, ...]]:
        """Live orders in the engine's canonical order, as comparable tuples."""
        rows: list[RefOrder] = self.resting(Side.BUY) + self.resting(Side.SELL)
        stops = [o for o in self.orders.values() if o.status is S.PENDING_TRIGGER]
        rows += sorted(
            (o for o in stops if o.side is Side.BUY), key=lambda o: (o.stop_price, o.priority)
        )
        rows += sorted(
            (o for o in stops if o.side is Side.SELL), key=lambda o: (-o.stop_price, o.priority)
        )  # type: ignore[operator]
        return [
            (o.order_id, o.side, o.price, o.qty, o.leaves, o.shown, o.filled, o.cancelled, o.status)
            for o in rows
        ]

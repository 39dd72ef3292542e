"""The engine runner: one writer per instrument, group commit, acknowledgement after commit.

Each instrument's :class:`BookWriter` is one asyncio task reading one queue. It takes
whatever is queued (up to :data:`MAX_BATCH` commands), applies the commands to its
:class:`~liquibond.trading.engine.Book` in order, and persists everything they caused —
order rows, trades, ledger postings (reservations, settlements, releases), outbox events and
the book's new state hash — in ONE unit of work. Only after that commit are the callers'
futures resolved. If the transaction fails, nothing of the batch happened: the book is
rebuilt from the database (the last committed state) and every caller of the batch gets a
503, so memory never runs ahead of the database.

A command refused by a pre-trade check inside the batch (insufficient funds, a duplicate
`client_order_id`, somebody else's order) fails alone: it changes nothing before it is
refused (the reservation runs in a savepoint) and the rest of the batch commits.

Embedded mode only: the writers live in this process. The distributed lease (one engine
process per instrument, fenced) is not built yet.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from liquibond.analytics import trade_cash
from liquibond.ledger.entries import AccountKey, EntryDraft, Leg, Owner
from liquibond.ledger.models import Bucket
from liquibond.ledger.service import InsufficientFunds, LedgerService
from liquibond.platform.db import Database, canonical_decimal, new_id, utcnow
from liquibond.platform.errors import Conflict, Problem, ServiceUnavailable, Unprocessable
from liquibond.platform.outbox import record_event
from liquibond.platform.uow import UnitOfWork
from liquibond.trading.engine import (
    MAX_TICKS,
    AccountId,
    Book,
    BookDelta,
    CancelOrder,
    CancelRejected,
    Depth,
    Event,
    NewOrder,
    OrderAccepted,
    OrderCancelled,
    OrderExpired,
    OrderFilled,
    OrderId,
    OrderPartiallyFilled,
    OrderReduced,
    OrderRejected,
    OrderSnapshot,
    OrderStatus,
    OrderType,
    Side,
    TimeInForce,
    Trade,
)
from liquibond.trading.models import LIVE_STATES, BookState, Order, OrderSide, OrderState
from liquibond.trading.models import Trade as TradeRow
from liquibond.trading.service import Market, OrderService, OrderTicket
from liquibond.valuation.service import trade_date

log = structlog.get_logger(__name__)

#: Most commands one transaction persists (group commit).
MAX_BATCH = 500

_STATES = {
    OrderStatus.NEW: OrderState.NEW,
    OrderStatus.PARTIALLY_FILLED: OrderState.PARTIALLY_FILLED,
    OrderStatus.FILLED: OrderState.FILLED,
    OrderStatus.CANCELLED: OrderState.CANCELLED,
    OrderStatus.EXPIRED: OrderState.EXPIRED,
    OrderStatus.REJECTED: OrderState.REJECTED,
}
_STATUSES = {state: status for status, state in _STATES.items()}
_SIDES = {OrderSide.BUY: Side.BUY, OrderSide.SELL: Side.SELL}
_TIFS = {"gtc": TimeInForce.GTC, "ioc": TimeInForce.IOC, "fok": TimeInForce.FOK}


def account_of(user_id: uuid.UUID) -> AccountId:
    """The engine's account for a user (self-trade prevention is keyed on it): 62 bits of
    the user's UUIDv7, which include its random part."""
    return AccountId(user_id.int & MAX_TICKS)


def unavailable(detail: str) -> ServiceUnavailable:
    """The 503 a caller gets when its command was not persisted."""
    return ServiceUnavailable(code="trading.unavailable", detail=detail)


@dataclass(frozen=True, slots=True)
class _Cancel:
    user_id: uuid.UUID
    order_id: uuid.UUID


@dataclass(slots=True)
class _Job:
    command: OrderTicket | _Cancel
    future: asyncio.Future[Order] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class BookHalted(ServiceUnavailable):
    """The rebuilt book does not match the one recorded at the last commit."""


class BookWriter:
    """The single writer of one instrument's book (see module docstring)."""

    def __init__(self, database: Database, market: Market) -> None:
        self.market = market
        self._database = database
        self._queue: asyncio.Queue[_Job] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self.book = Book(market.isin)
        self._last_order_id = 0
        self.halted: str | None = None
        #: The book's `seq` as of the last committed change to its price levels.
        self.published_seq = 0
        self._committing = False
        self._depth_waiters: list[tuple[int | None, asyncio.Future[tuple[int, Depth]]]] = []

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Rebuild the book from the database, check its hash, and start writing."""
        await self.rebuild()
        self._task = asyncio.create_task(self._run(), name=f"book-writer-{self.market.isin}")

    async def stop(self) -> None:
        """Stop writing; queued commands are answered with a 503 (none of them was persisted)."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        while not self._queue.empty():
            job = self._queue.get_nowait()
            if not job.future.done():
                job.future.set_exception(unavailable("Trading is shutting down."))

    async def rebuild(self) -> None:
        """Restore the book from resting orders and compare its hash with the committed one."""
        async with UnitOfWork(self._database, write=False) as uow:
            state = await uow.session.get(BookState, self.market.instrument_id)
            rows = await uow.session.scalars(
                select(Order).where(
                    Order.instrument_id == self.market.instrument_id,
                    Order.status.in_([s.value for s in LIVE_STATES]),
                )
            )
            snapshots = [_snapshot(row) for row in rows]
        self.book = Book.restore(
            snapshots,
            instrument=self.market.isin,
            last_price=state.last_price_ticks if state else None,
            seq=state.seq if state else 0,
            trade_seq=state.trade_seq if state else 0,
        )
        self._last_order_id = state.last_book_order_id if state else 0
        self.published_seq = self.book.seq
        expected = state.state_hash if state else Book(self.market.isin).state_hash()
        actual = self.book.state_hash()
        if actual != expected:
            self.halted = "The rebuilt book does not match the book at the last commit."
            log.error(
                "trading.book_hash_mismatch",
                instrument=self.market.isin,
                expected=expected,
                actual=actual,
                orders=len(snapshots),
            )
        else:
            self.halted = None
            log.info("trading.book_restored", instrument=self.market.isin, orders=len(snapshots))

    async def depth(self, levels: int | None = None) -> tuple[int, Depth]:
        """The committed L2 book and its `published_seq`: never a batch still being committed
        (a caller that asks mid-commit is answered right after that commit)."""
        if not self._committing:
            return self.published_seq, self.book.depth(levels)
        waiter: asyncio.Future[tuple[int, Depth]] = asyncio.get_running_loop().create_future()
        self._depth_waiters.append((levels, waiter))
        return await waiter

    def _answer_depth_waiters(self) -> None:
        waiters, self._depth_waiters = self._depth_waiters, []
        for levels, waiter in waiters:
            if not waiter.done():
                waiter.set_result((self.published_seq, self.book.depth(levels)))

    # -- commands --------------------------------------------------------------------------

    async def submit(self, ticket: OrderTicket) -> Order:
        """Place an order; returns it once it (and whatever it traded) is committed."""
        return await self._enqueue(ticket)

    async def cancel(self, user_id: uuid.UUID, order_id: uuid.UUID) -> Order:
        """Cancel one of the user's orders; returns it once the cancel is committed."""
        return await self._enqueue(_Cancel(user_id, order_id))

    async def _enqueue(self, command: OrderTicket | _Cancel) -> Order:
        if self.halted is not None:
            raise BookHalted(code="trading.book_halted", detail=self.halted)
        job = _Job(command)
        self._queue.put_nowait(job)
        return await asyncio.shield(job.future)

    # -- the writer ------------------------------------------------------------------------

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < MAX_BATCH and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            await self._commit(batch)

    async def _commit(self, batch: list[_Job]) -> None:
        self._committing = True
        try:
            outcomes = await self._persist(batch)
        finally:
            self._committing = False
            self._answer_depth_waiters()
        if outcomes is None:
            for job in batch:
                if not job.future.done():
                    job.future.set_exception(unavailable("The order could not be persisted."))
            return
        for job, outcome in zip(batch, outcomes, strict=True):
            if job.future.done():
                continue
            if isinstance(outcome, Problem):
                job.future.set_exception(outcome)
            else:
                job.future.set_result(outcome)

    async def _persist(self, batch: list[_Job]) -> list[Order | Problem] | None:
        """Apply and commit one batch; None if it failed (the book is then rebuilt)."""
        outcomes: list[Order | Problem] = []
        try:
            async with UnitOfWork(self._database) as uow:
                step = _Step(self, uow.session)
                for job in batch:
                    outcomes.append(await step.run(job.command))
                changed = step.book_changes(self.published_seq)
                await self._save_state(uow.session)
                await uow.commit()
        except Exception:
            log.exception("trading.batch_failed", instrument=self.market.isin, size=len(batch))
            await self._recover()
            return None
        if changed:
            self.published_seq = self.book.seq
        return outcomes

    async def _recover(self) -> None:
        """Throw away the uncommitted batch: rebuild the book from the database before anything
        else is applied. If even that fails, the book halts until the process restarts."""
        try:
            await self.rebuild()
        except Exception:
            log.exception("trading.rebuild_failed", instrument=self.market.isin)
            self.halted = "The book could not be rebuilt after a failed commit."

    def next_order_id(self) -> OrderId:
        self._last_order_id += 1
        return OrderId(self._last_order_id)

    async def _save_state(self, session: AsyncSession) -> None:
        state = await session.get(BookState, self.market.instrument_id)
        if state is None:
            state = BookState(instrument_id=self.market.instrument_id)
            session.add(state)
        state.seq = self.book.seq
        state.trade_seq = self.book.trade_seq
        state.last_book_order_id = self._last_order_id
        state.last_price_ticks = self.book.last_price
        state.state_hash = self.book.state_hash()
        state.updated_at = utcnow()


class _Step:
    """Applies one batch's commands inside its transaction."""

    def __init__(self, writer: BookWriter, session: AsyncSession) -> None:
        self._writer = writer
        self._market = writer.market
        self._session = session
        self._ledger = LedgerService(session)
        self._rows: dict[int, Order] = {}
        self._traded: date | None = None
        self._levels: dict[tuple[Side, int], BookDelta] = {}

    async def run(self, command: OrderTicket | _Cancel) -> Order | Problem:
        try:
            if isinstance(command, OrderTicket):
                return await self._new_order(command)
            return await self._cancel(command)
        except Problem as problem:
            return problem

    # -- commands --------------------------------------------------------------------------

    async def _new_order(self, ticket: OrderTicket) -> Order:
        request = ticket.request
        await OrderService(self._session).ensure_new_client_order_id(
            ticket.user_id, request.client_order_id
        )
        order = Order(
            id=new_id(),
            user_id=ticket.user_id,
            instrument_id=self._market.instrument_id,
            client_order_id=request.client_order_id,
            book_order_id=self._writer.next_order_id(),
            side=request.side.value,
            order_type=request.order_type.value,
            time_in_force=request.time_in_force.value,
            post_only=request.post_only,
            price=self._market.clean_price(ticket.price_ticks),
            price_ticks=ticket.price_ticks,
            quantity=request.quantity,
            filled_quantity=0,
            cancelled_quantity=0,
            leaves_quantity=request.quantity,
            shown_quantity=request.quantity,
            priority=0,
            status=OrderState.NEW.value,
            reserved_asset=ticket.reserve_asset,
            reserved=ticket.reserve_amount,
            created_at=utcnow(),
        )
        try:
            async with self._session.begin_nested():
                await self._ledger.reserve(
                    ticket.user_id,
                    ticket.reserve_asset,
                    ticket.reserve_amount,
                    reference=f"order:{order.id}:reserve",
                    description=f"Reserved for order {request.client_order_id}",
                )
        except InsufficientFunds as exc:
            raise Unprocessable(
                code="order.insufficient_funds",
                detail=f"Not enough {ticket.reserve_asset} available for this order "
                f"({ticket.reserve_amount} minor units needed).",
                extra={"asset": ticket.reserve_asset, "required": ticket.reserve_amount},
            ) from exc
        self._session.add(order)
        self._rows[order.book_order_id] = order
        events = self._writer.book.apply(
            NewOrder(
                order_id=OrderId(order.book_order_id),
                account=account_of(order.user_id),
                side=_SIDES[request.side],
                qty=order.quantity,
                price=order.price_ticks,
                order_type=OrderType.LIMIT,
                tif=_TIFS[order.time_in_force],
                post_only=order.post_only,
            )
        )
        await self._apply(events)
        return order

    async def _cancel(self, command: _Cancel) -> Order:
        order = await OrderService(self._session).order(command.user_id, command.order_id)
        if OrderState(order.status) not in LIVE_STATES:
            raise Conflict(
                code="order.not_cancellable",
                detail=f"This order is {order.status}; only open orders can be cancelled.",
            )
        self._rows[order.book_order_id] = order
        events = self._writer.book.apply(
            CancelOrder(OrderId(order.book_order_id), account_of(order.user_id))
        )
        if any(isinstance(event, CancelRejected) for event in events):
            raise Conflict(code="order.not_cancellable", detail="This order is no longer open.")
        await self._apply(events)
        return order

    # -- events ----------------------------------------------------------------------------

    async def _apply(self, events: list[Event]) -> None:
        await self._load(_order_ids(events))
        touched: set[int] = set()
        for event in events:
            match event:
                case Trade():
                    await self._settle(event)
                case OrderAccepted(order_id=oid):
                    self._emit("order.accepted.v1", self._rows[oid])
                case OrderPartiallyFilled(order_id=oid):
                    row = self._rows[oid]
                    row.filled_quantity = event.filled_qty
                    row.leaves_quantity = event.leaves_qty
                    row.status = OrderState.PARTIALLY_FILLED.value
                    touched.add(oid)
                    self._emit("order.partially_filled.v1", row)
                case OrderFilled(order_id=oid):
                    row = self._rows[oid]
                    row.filled_quantity = event.filled_qty
                    await self._finish(row, OrderState.FILLED)
                case OrderCancelled(order_id=oid):
                    await self._finish(self._rows[oid], OrderState.CANCELLED)
                case OrderExpired(order_id=oid):
                    await self._finish(self._rows[oid], OrderState.EXPIRED)
                case OrderRejected(order_id=oid):
                    row = self._rows[oid]
                    row.reject_reason = event.reason.value
                    await self._finish(row, OrderState.REJECTED)
                case OrderReduced(order_id=oid):
                    touched.add(oid)
                case BookDelta(side=side, price=price):
                    self._levels[side, price] = event
                case _:
                    pass  # triggers and replaces are not reachable from the API yet
            if hasattr(event, "order_id"):
                touched.add(int(event.order_id))
        now = utcnow()
        for book_id in touched:
            row = self._rows[book_id]
            row.updated_at = now
            snap = self._writer.book.order(OrderId(book_id))
            if snap is not None:
                row.status = _STATES[snap.status].value
                row.leaves_quantity = snap.leaves_qty
                row.shown_quantity = snap.shown_qty
                row.filled_quantity = snap.filled_qty
                row.cancelled_quantity = snap.cancelled_qty
                row.priority = snap.priority

    async def _finish(self, row: Order, state: OrderState) -> None:
        """A terminal order: nothing is left open, and what it still holds goes back."""
        row.status = state.value
        row.cancelled_quantity = row.quantity - row.filled_quantity
        row.leaves_quantity = row.shown_quantity = 0
        if row.reserved:
            await self._ledger.release(
                row.user_id,
                row.reserved_asset,
                row.reserved,
                reference=f"order:{row.id}:release",
                description=f"Released: order {row.client_order_id} {state.value}",
            )
            row.reserved = 0
        self._emit(f"order.{state.value}.v1", row)

    async def _settle(self, event: Trade) -> None:
        """Move the buyer's cash and the seller's units in one entry; record the trade."""
        market = self._market
        taker, maker = self._rows[event.taker_order_id], self._rows[event.maker_order_id]
        buy, sell = (taker, maker) if event.taker_side is Side.BUY else (maker, taker)
        if self._traded is None:
            self._traded = trade_date()
        settles = market.settlement_date(self._traded)
        price = market.clean_price(event.price)
        cash = trade_cash(market.terms, settles, event.qty, price, market.scale)
        from_locked = min(buy.reserved, cash.total)
        buyer, seller = Owner.user(buy.user_id), Owner.user(sell.user_id)
        legs = [
            Leg(AccountKey(buyer, market.currency, Bucket.LOCKED), -from_locked),
            Leg(AccountKey(buyer, market.currency, Bucket.AVAILABLE), from_locked - cash.total),
            Leg(AccountKey(seller, market.currency, Bucket.AVAILABLE), cash.total),
            Leg(AccountKey(seller, market.isin, Bucket.LOCKED), -event.qty),
            Leg(AccountKey(buyer, market.isin, Bucket.AVAILABLE), event.qty),
        ]
        entry = await self._ledger.post(
            EntryDraft(
                kind="trade",
                description=f"Trade {market.isin}: {event.qty} @ {price}",
                legs=tuple(leg for leg in legs if leg.amount),
                reference=f"trade:{market.instrument_id}:{event.trade_id}",
            )
        )
        buy.reserved -= from_locked
        sell.reserved -= event.qty
        trade = TradeRow(
            id=new_id(),
            instrument_id=market.instrument_id,
            trade_seq=event.trade_id,
            price=price,
            price_ticks=event.price,
            quantity=event.qty,
            aggressor_side=taker.side,
            buy_order_id=buy.id,
            sell_order_id=sell.id,
            buyer_id=buy.user_id,
            seller_id=sell.user_id,
            currency=market.currency,
            clean_amount=cash.principal,
            accrued_interest=cash.accrued,
            dirty_amount=cash.total,
            buyer_fee=0,
            seller_fee=0,
            trade_date=self._traded,
            settlement_date=settles,
            journal_entry_id=entry.id,
            created_at=utcnow(),
        )
        self._session.add(trade)
        record_event(
            self._session,
            "trade.executed.v1",
            {
                "trade_id": str(trade.id),
                "instrument_id": str(market.instrument_id),
                "trade_seq": event.trade_id,
                "price": str(price),
                "quantity": event.qty,
                "aggressor_side": trade.aggressor_side,
                "buy_order_id": str(buy.id),
                "sell_order_id": str(sell.id),
                "buyer_id": str(buy.user_id),
                "seller_id": str(sell.user_id),
                "dirty_amount": cash.total,
                "accrued_interest": cash.accrued,
                "settlement_date": settles.isoformat(),
            },
        )

    def book_changes(self, prev_seq: int) -> bool:
        """Record the batch's net changes to the price levels as one `book.changed.v1` event;
        False if the levels did not change.

        A level's `quantity` is what it shows now (0: the level is gone). `prev_seq` is the
        `seq` of the previous change, so a subscriber that holds the book at another sequence
        knows it missed one and resyncs."""
        if not self._levels:
            return False
        clean_price = self._market.clean_price
        sides: dict[Side, list[dict[str, object]]] = {Side.BUY: [], Side.SELL: []}
        for (side, price), delta in sorted(self._levels.items()):
            sides[side].append(
                {
                    "price": str(canonical_decimal(clean_price(price))),
                    "price_ticks": price,
                    "quantity": delta.qty,
                    "orders": delta.count,
                }
            )
        record_event(
            self._session,
            "book.changed.v1",
            {
                "instrument_id": str(self._market.instrument_id),
                "prev_seq": prev_seq,
                "seq": self._writer.book.seq,
                "bids": sides[Side.BUY],
                "asks": sides[Side.SELL],
            },
        )
        return True

    def _emit(self, type_: str, row: Order) -> None:
        record_event(self._session, type_, order_event(row))

    async def _load(self, book_order_ids: Iterable[int]) -> None:
        missing = [oid for oid in set(book_order_ids) if oid not in self._rows]
        if not missing:
            return
        rows = await self._session.scalars(
            select(Order).where(
                Order.instrument_id == self._market.instrument_id,
                Order.book_order_id.in_(missing),
            )
        )
        for row in rows:
            self._rows[row.book_order_id] = row


def order_event(row: Order) -> dict[str, object]:
    """The data of an `order.*.v1` event: the order as its owner sees it."""
    return {
        "order_id": str(row.id),
        "user_id": str(row.user_id),
        "instrument_id": str(row.instrument_id),
        "client_order_id": row.client_order_id,
        "side": row.side,
        "order_type": row.order_type,
        "time_in_force": row.time_in_force,
        "price": None if row.price is None else str(canonical_decimal(row.price)),
        "quantity": row.quantity,
        "status": row.status,
        "filled_quantity": row.filled_quantity,
        "cancelled_quantity": row.cancelled_quantity,
        "leaves_quantity": row.leaves_quantity,
        "reject_reason": row.reject_reason,
        "reserved_asset": row.reserved_asset,
        "reserved": row.reserved,
    }


def _order_ids(events: list[Event]) -> set[int]:
    ids: set[int] = set()
    for event in events:
        if isinstance(event, Trade):
            ids.update((event.taker_order_id, event.maker_order_id))
        elif hasattr(event, "order_id"):
            ids.add(event.order_id)
    return ids


def _snapshot(row: Order) -> OrderSnapshot:
    """A resting order as the engine needs it back."""
    return OrderSnapshot(
        order_id=OrderId(row.book_order_id),
        account=account_of(row.user_id),
        side=_SIDES[OrderSide(row.side)],
        order_type=OrderType.LIMIT,
        tif=_TIFS[row.time_in_force],
        price=row.price_ticks,
        stop_price=None,
        qty=row.quantity,
        leaves_qty=row.leaves_quantity,
        shown_qty=row.shown_quantity,
        filled_qty=row.filled_quantity,
        cancelled_qty=row.cancelled_quantity,
        status=_STATUSES[OrderState(row.status)],
        priority=row.priority,
        post_only=row.post_only,
    )


class Trading:
    """The writers of every instrument's book in this process (installed on `app.state`)."""

    def __init__(self, database: Database) -> None:
        self._database = database
        self._writers: dict[uuid.UUID, BookWriter] = {}
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        """Rebuild every book that has a committed state, and check its hash."""
        async with UnitOfWork(self._database, write=False) as uow:
            ids = list(await uow.session.scalars(select(BookState.instrument_id)))
            service = OrderService(uow.session)
            markets = [await service.market(instrument_id) for instrument_id in ids]
        for market in markets:
            await self._start(market)

    async def stop(self) -> None:
        """Stop every writer."""
        writers, self._writers = list(self._writers.values()), {}
        await asyncio.gather(*(writer.stop() for writer in writers))

    async def writer(self, market: Market) -> BookWriter:
        """The writer of `market`'s book, started on first use."""
        writer = self._writers.get(market.instrument_id)
        if writer is not None:
            return writer
        async with self._lock:
            writer = self._writers.get(market.instrument_id)
            return writer if writer is not None else await self._start(market)

    def writers(self) -> dict[uuid.UUID, BookWriter]:
        """The running writers by instrument id."""
        return dict(self._writers)

    async def _start(self, market: Market) -> BookWriter:
        writer = BookWriter(self._database, market)
        await writer.start()
        self._writers[market.instrument_id] = writer
        return writer

"""The engine runner: one writer per instrument, group commit, acknowledgement after commit.

Each instrument's :class:`BookWriter` is one asyncio task reading one queue. It takes
whatever is queued (up to :data:`MAX_BATCH` commands), applies the commands to its
:class:`~liquibond.trading.engine.Book` in order, and persists everything they caused —
order rows, trades, ledger postings (reservations, settlements, releases), outbox events and
the book's new state hash — in ONE unit of work. Only after that commit are the callers'
futures resolved. If the transaction fails, nothing of the batch happened: the book is
rebuilt from the database (the last committed state) and every caller of the batch gets a
503, so memory never runs ahead of the database.

A batch is set-based: it reads what its commands need with a few statements up front (the
`client_order_id`s they reuse, the orders they change, their senders' accounts, locked),
posts its ledger entries to balances held in memory (:class:`~liquibond.ledger.service.
LedgerBatch`), and writes its rows, entries, postings, balances and events with one statement
per table at the end (appended in bulk: :mod:`liquibond.platform.bulk`). Orders are plain
records (:class:`OrderRecord`), not ORM objects; the writer keeps the records of the open
orders its last batches touched (:data:`KEPT_ORDERS`), so a batch reads only the others it
trades with or names, and it forgets them all when it rebuilds its book. A command refused by
a pre-trade check inside the batch (insufficient funds, a duplicate `client_order_id`,
somebody else's order) fails alone: it changes nothing before it is refused (the ledger
refuses a reservation in memory) and the rest of the batch commits.

A writer holds its book's lease (:mod:`liquibond.trading.lease`) for as long as it runs, and
every batch checks its fence before it commits: two processes sharing one database never
both write a book, and a writer that lost its lease stops before another takes over. With
Redis, order entry for a book another process holds is handed to that process
(:mod:`liquibond.trading.forwarding`); without it, or for what is not forwarded, such a
request is answered 503 `trading.book_elsewhere`.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from decimal import Decimal
from operator import attrgetter
from typing import Any, Protocol, cast

import structlog
from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from liquibond.analytics import TradeCash, trade_cash
from liquibond.instruments.service import InstrumentService
from liquibond.ledger.entries import FEES, AccountKey, EntryDraft, Leg, Owner, release, reservation
from liquibond.ledger.models import Bucket
from liquibond.ledger.service import InsufficientFunds, LedgerBatch
from liquibond.platform.bulk import BulkInsert, BulkUpdate
from liquibond.platform.db import Database, canonical_decimal, new_id, utcnow
from liquibond.platform.errors import (
    Conflict,
    Problem,
    ServiceUnavailable,
    Unprocessable,
    not_found,
)
from liquibond.platform.outbox import Outbox, Recorder
from liquibond.platform.uow import UnitOfWork
from liquibond.trading.engine import (
    MAX_TICKS,
    AccountId,
    Book,
    BookDelta,
    CancelAll,
    CancelOrder,
    CancelRejected,
    Depth,
    Event,
    Expire,
    NewOrder,
    OrderAccepted,
    OrderCancelled,
    OrderExpired,
    OrderFilled,
    OrderId,
    OrderPartiallyFilled,
    OrderRejected,
    OrderSnapshot,
    OrderStatus,
    OrderTriggered,
    OrderType,
    ReplaceOrder,
    ReplaceRejected,
    Side,
    StpMode,
    TimeInForce,
    Trade,
)
from liquibond.trading.lease import Lease, LeaseLost, LeaseManager, check_fence
from liquibond.trading.models import (
    LIVE_STATES,
    BookState,
    Order,
    OrderKind,
    OrderSide,
    OrderState,
    OrderTif,
    SelfTradePrevention,
    Venue,
)
from liquibond.trading.models import Trade as TradeRow
from liquibond.trading.service import (
    OPEN_STATES,
    Market,
    OrderService,
    OrderTicket,
    ReplaceTicket,
    duplicate_client_order_id,
)
from liquibond.valuation.service import trade_date

log = structlog.get_logger(__name__)

#: Most commands one transaction persists (group commit). Bounded so a batch holds the
#: database (and, on SQLite, its single write lock, which the lease renewal also needs) for
#: about half a second at most at today's cost of about 1 ms per command.
MAX_BATCH = 500

#: How often each writer looks at its clock (DAY/GTD expiries, queued orders at the open).
CLOCK_SECONDS = 1.0

#: Most records of open orders a writer keeps from one batch to the next (those it touched
#: last), so that a batch trading with them or cancelling them need not read them again.
KEPT_ORDERS = 20_000

#: The engine's view of an order's stored fields, and back, keyed by the stored values.
_STATES = {
    OrderStatus.PENDING_TRIGGER: OrderState.PENDING_TRIGGER.value,
    OrderStatus.NEW: OrderState.NEW.value,
    OrderStatus.PARTIALLY_FILLED: OrderState.PARTIALLY_FILLED.value,
    OrderStatus.FILLED: OrderState.FILLED.value,
    OrderStatus.CANCELLED: OrderState.CANCELLED.value,
    OrderStatus.EXPIRED: OrderState.EXPIRED.value,
    OrderStatus.REJECTED: OrderState.REJECTED.value,
}
_STATUSES = {state: status for status, state in _STATES.items()}
_SIDES = {OrderSide.BUY.value: Side.BUY, OrderSide.SELL.value: Side.SELL}
_TIFS = {tif.value: TimeInForce[tif.name] for tif in OrderTif}
_KINDS = {kind.value: OrderType[kind.name] for kind in OrderKind}
_STP = {mode.value: StpMode[mode.name] for mode in SelfTradePrevention}
_LIVE = frozenset(state.value for state in LIVE_STATES)
_OPEN = frozenset(state.value for state in OPEN_STATES)


def epoch_ms(moment: datetime) -> int:
    """The engine's clock: milliseconds since the epoch."""
    return int(moment.timestamp() * 1000)


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


@dataclass(frozen=True, slots=True)
class _CancelAll:
    user_id: uuid.UUID | None  # None: everyone's (the kill switch)


@dataclass(frozen=True, slots=True)
class _Tick:
    """Expire what is due and, once the market is open, move queued orders into the book."""


class OffBookDeal(Protocol):
    """The venue's side of an off-book trade (e.g. an RFQ), run in the writer's transaction."""

    async def confirm(self, session: AsyncSession) -> None:
        """Check, reading only, that the deal still stands; raise a Problem to refuse it."""

    async def record(self, session: AsyncSession, trade: TradeRow, record: Recorder) -> None:
        """Write the venue's own rows and events for the executed `trade`."""


@dataclass(frozen=True, slots=True)
class OffBookTrade:
    """A trade agreed away from the book, for its writer to number and settle."""

    buyer_id: uuid.UUID
    seller_id: uuid.UUID
    quantity: int
    price_ticks: int
    #: The side that took the other's price (it pays the taker fee; the other the maker fee).
    aggressor_side: OrderSide
    venue: Venue
    venue_ref: uuid.UUID
    deal: OffBookDeal


@dataclass(slots=True, eq=False)
class OrderRecord:
    """An order's row (:class:`~liquibond.trading.models.Order`, column for column) as its
    book's writer holds it while a batch runs, and answers it once the batch committed: plain
    attributes, no ORM session in between (the batch writes its records itself)."""

    id: uuid.UUID
    user_id: uuid.UUID
    instrument_id: uuid.UUID
    client_order_id: str
    book_order_id: int
    side: str
    order_type: str
    time_in_force: str
    post_only: bool
    price: Decimal
    price_ticks: int
    limit_yield: Decimal | None
    stop_price: Decimal | None
    stop_price_ticks: int | None
    display_quantity: int | None
    min_quantity: int | None
    all_or_none: bool
    expire_at: datetime | None
    self_trade_prevention: str
    quantity: int
    filled_quantity: int
    cancelled_quantity: int
    leaves_quantity: int
    shown_quantity: int
    priority: int
    status: str
    reject_reason: str | None
    reserved_asset: str
    reserved: int
    created_at: datetime
    updated_at: datetime | None

    def copy(self) -> OrderRecord:
        """The order as it is now, unchanged by what later changes this record."""
        return OrderRecord(*_order_values(self))


_ORDER_FIELDS = tuple(f.name for f in fields(OrderRecord))
#: Selects an order's row as the values of an :class:`OrderRecord`, in order.
_ORDER_COLUMNS = tuple(Order.__table__.c[name] for name in _ORDER_FIELDS)
_order_values = cast(Callable[[OrderRecord], tuple[Any, ...]], attrgetter(*_ORDER_FIELDS))
_NEW_ORDERS = BulkInsert(Order, _ORDER_FIELDS)
#: The orders of the instrument's book of `order_ids`.
_NAMED_ORDERS = select(*_ORDER_COLUMNS).where(
    Order.instrument_id == bindparam("instrument_id"),
    Order.id.in_(bindparam("order_ids", expanding=True)),
)
#: The orders of the instrument's book of `book_order_ids`.
_BOOK_ORDERS = select(*_ORDER_COLUMNS).where(
    Order.instrument_id == bindparam("instrument_id"),
    Order.book_order_id.in_(bindparam("book_order_ids", expanding=True)),
)
#: What a batch may change of an order it did not create.
_ORDER_CHANGES = BulkUpdate(
    Order,
    (
        "status", "quantity", "filled_quantity", "cancelled_quantity", "leaves_quantity",
        "shown_quantity", "priority", "reject_reason", "reserved", "price", "price_ticks",
        "limit_yield", "updated_at",
    ),
)  # fmt: skip
_order_changes = cast(Callable[[OrderRecord], tuple[Any, ...]], attrgetter(*_ORDER_CHANGES.columns))
_TRADES = BulkInsert(
    TradeRow,
    (
        "id", "instrument_id", "trade_seq", "price", "price_ticks", "quantity",
        "aggressor_side", "buy_order_id", "sell_order_id", "buyer_id", "seller_id", "venue",
        "venue_ref", "currency", "clean_amount", "accrued_interest", "dirty_amount",
        "buyer_fee", "seller_fee", "trade_date", "settlement_date", "journal_entry_id",
        "settles_on_chain", "created_at",
    ),
)  # fmt: skip


def _as_committed(outcome: _Outcome | Problem) -> _Outcome | Problem:
    """`outcome` with each order record copied as it is now."""
    if isinstance(outcome, OrderRecord):
        return outcome.copy()
    if isinstance(outcome, list):
        return [order.copy() for order in outcome]
    return outcome


_Command = OrderTicket | ReplaceTicket | _Cancel | _CancelAll | _Tick | OffBookTrade
_Outcome = OrderRecord | list[OrderRecord] | TradeRow | None


@dataclass(slots=True)
class _Job:
    command: _Command
    future: asyncio.Future[_Outcome] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class BookHalted(ServiceUnavailable):
    """The rebuilt book does not match the one recorded at the last commit."""


def elsewhere(isin: str) -> ServiceUnavailable:
    """The 503 for a book another engine process holds the lease of."""
    return ServiceUnavailable(
        code="trading.book_elsewhere",
        detail=f"The book of {isin} is written by another engine process; retry shortly.",
        headers={"Retry-After": "2"},
    )


class BookWriter:
    """The single writer of one instrument's book (see module docstring)."""

    def __init__(
        self,
        database: Database,
        market: Market,
        lease: Lease,
        leases: LeaseManager,
        *,
        on_commit: Callable[[], None] | None = None,
        on_lost: Callable[[BookWriter], None] | None = None,
    ) -> None:
        self.market = market
        self._database = database
        self._lease = lease
        self._leases = leases
        self._on_commit = on_commit
        self._on_lost = on_lost
        self.lost = False  # the lease went to another process: this writer is done
        self.stopped = False
        self._queue: asyncio.Queue[_Job] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self._in_flight: list[_Job] = []
        self.book = Book(market.isin)
        #: Orders waiting for the open, and whether a clock tick is already queued.
        self.queued = 0
        self._tick_pending = False
        self._last_order_id = 0
        self._digest = 0  # see `book_digest`
        #: Open orders' records as of the last commit, by book id, least recently touched first;
        #: and their book ids by order id.
        self._kept: dict[int, OrderRecord] = {}
        self._kept_ids: dict[uuid.UUID, int] = {}
        self._state_saved = False  # the book has a row in `trading_books`
        self.halted: str | None = None
        #: The book's `seq` as of the last committed change to its price levels.
        self.published_seq = 0
        self._committing = False
        self._depth_waiters: list[tuple[int | None, asyncio.Future[tuple[int, Depth]]]] = []

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Keep the lease (taken by the caller), rebuild the book from the database, check its
        hash, and start writing. The lease comes first, so the rebuild sees everything its
        previous holder committed."""
        self._tasks = [self._leases.keep(self._lease, self._lease_lost)]
        try:
            await self.rebuild()
        except BaseException:
            await self.stop()
            raise
        self._tasks += [
            asyncio.create_task(self._run(), name=f"book-writer-{self.market.isin}"),
            asyncio.create_task(self._clock(), name=f"book-clock-{self.market.isin}"),
        ]

    async def stop(self) -> None:
        """Stop writing and give the lease back; queued commands are answered with a 503 (none
        of them was persisted)."""
        self.stopped = True
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        # The batch being committed when the writer was cancelled rolled back with it.
        abandoned, self._in_flight = self._in_flight, []
        while not self._queue.empty():
            abandoned.append(self._queue.get_nowait())
        for job in abandoned:
            if not job.future.done():
                job.future.set_exception(unavailable("Trading is shutting down."))
        try:
            await self._leases.release(self._lease)
        except Exception:
            log.exception("trading.lease_release_failed", instrument=self.market.isin)

    def _lease_lost(self) -> None:
        """Another process may take the book over: stop before it can."""
        if self.lost:
            return
        self.lost = True
        log.error("trading.lease_lost", instrument=self.market.isin, fence=self._lease.fence)
        if self._on_lost is not None:
            self._on_lost(self)
        asyncio.get_running_loop().create_task(self.stop())

    async def rebuild(self) -> None:
        """Restore the book from resting orders and compare its hash with the committed one."""
        self._kept, self._kept_ids = {}, {}
        async with UnitOfWork(self._database, write=False) as uow:
            state = await uow.session.get(BookState, self.market.instrument_id)
            rows = await uow.session.execute(
                select(*_ORDER_COLUMNS).where(
                    Order.instrument_id == self.market.instrument_id,
                    Order.status.in_([s.value for s in LIVE_STATES]),
                )
            )
            snapshots = [_snapshot(OrderRecord(*values)) for values in rows]
            self.queued = (
                await uow.session.scalar(
                    select(func.count()).where(
                        Order.instrument_id == self.market.instrument_id,
                        Order.status == OrderState.QUEUED.value,
                    )
                )
                or 0
            )
        self.book = Book.restore(
            snapshots,
            instrument=self.market.isin,
            last_price=state.last_price_ticks if state else None,
            seq=state.seq if state else 0,
            trade_seq=state.trade_seq if state else 0,
        )
        self._last_order_id = state.last_book_order_id if state else 0
        self._state_saved = state is not None
        self.published_seq = self.book.seq
        self._digest = book_digest(self.book)
        expected = state.state_hash if state else format(0, "064x")
        actual = self.state_hash()
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

    def state_hash(self) -> str:
        """The book's digest as of the last commit, as stored in `trading_books.state_hash`."""
        return format(self._digest, "064x")

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

    async def submit(self, ticket: OrderTicket) -> OrderRecord:
        """Place an order; returns it once it (and whatever it traded) is committed."""
        return cast(OrderRecord, await self._enqueue(ticket))

    async def replace(self, ticket: ReplaceTicket) -> OrderRecord:
        """Change one of the user's resting orders; returns it once committed."""
        return cast(OrderRecord, await self._enqueue(ticket))

    async def cancel(self, user_id: uuid.UUID, order_id: uuid.UUID) -> OrderRecord:
        """Cancel one of the user's orders; returns it once the cancel is committed."""
        return cast(OrderRecord, await self._enqueue(_Cancel(user_id, order_id)))

    async def cancel_all(self, user_id: uuid.UUID | None) -> list[OrderRecord]:
        """Cancel every open order of the user, or of everyone (the kill switch)."""
        return cast(list[OrderRecord], await self._enqueue(_CancelAll(user_id)))

    async def off_book(self, trade: OffBookTrade) -> TradeRow:
        """Execute a trade agreed off the book; returns it once committed (with the venue's
        rows, written by `trade.deal` in the same transaction)."""
        return cast(TradeRow, await self._enqueue(trade))

    async def _enqueue(self, command: _Command) -> _Outcome:
        if self.lost:
            raise elsewhere(self.market.isin)
        if self.stopped:
            raise unavailable("Trading is shutting down.")
        if self.halted is not None:
            raise BookHalted(code="trading.book_halted", detail=self.halted)
        job = _Job(command)
        self._queue.put_nowait(job)
        return await asyncio.shield(job.future)

    def due(self, now: datetime) -> bool:
        """Whether a DAY/GTD order is due to expire, or queued orders can enter the book."""
        expiry = self.book.next_expiry()
        if expiry is not None and expiry <= epoch_ms(now):
            return True
        return self.queued > 0 and self.market.hours.is_open(now)

    async def _clock(self) -> None:
        while True:
            await asyncio.sleep(CLOCK_SECONDS)
            if self.halted is None and not self._tick_pending and self.due(utcnow()):
                self._tick_pending = True
                job = _Job(_Tick())
                job.future.add_done_callback(self._tick_done)
                self._queue.put_nowait(job)

    def _tick_done(self, future: asyncio.Future[_Outcome]) -> None:
        self._tick_pending = False
        if not future.cancelled():
            future.exception()  # a failed tick was logged by the batch; it is retried

    # -- the writer ------------------------------------------------------------------------

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < MAX_BATCH and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            self._in_flight = batch
            await self._commit(batch)
            self._in_flight = []

    async def _commit(self, batch: list[_Job]) -> None:
        self._committing = True
        try:
            outcomes = await self._persist(batch)
        finally:
            self._committing = False
            self._answer_depth_waiters()
        if isinstance(outcomes, Problem):
            for job in batch:
                if not job.future.done():
                    job.future.set_exception(outcomes)
            return
        for job, outcome in zip(batch, outcomes, strict=True):
            if job.future.done():
                continue
            if isinstance(outcome, Problem):
                job.future.set_exception(outcome)
            else:
                job.future.set_result(outcome)

    async def _persist(self, batch: list[_Job]) -> list[_Outcome | Problem] | Problem:
        """Apply and commit one batch; the problem for all its callers if it failed (the book
        is then rebuilt, or given up if the lease was lost)."""
        outcomes: list[_Outcome | Problem] = []
        try:
            async with UnitOfWork(self._database) as uow:
                step = _Step(self, uow.session)
                await step.prepare([job.command for job in batch])
                for job in batch:
                    outcomes.append(await step.run(job.command))
                changed = step.book_changes(self.published_seq)
                digest = step.digest(self._digest)
                await step.write()
                await self._save_state(uow.session, digest)
                sent = time.monotonic()
                # Last, so the lock on the lease row is short; the batch also renews the lease.
                expires_at = await check_fence(
                    uow.session, self._lease, extend_seconds=self._leases.duration
                )
                if self._on_commit is not None:
                    uow.after_commit(self._on_commit)
                await uow.commit()
            if expires_at is not None:
                self._lease.expires_at = expires_at
                self._lease.valid_until = max(self._lease.valid_until, sent + self._leases.duration)
        except LeaseLost:
            self._lease_lost()
            return elsewhere(self.market.isin)
        except Exception:
            log.exception("trading.batch_failed", instrument=self.market.isin, size=len(batch))
            await self._recover()
            return unavailable("The order could not be persisted.")
        self._digest = digest
        self._state_saved = True
        if changed:
            self.published_seq = self.book.seq
        self._keep(step.touched)
        # The records kept change with later batches: each caller gets the order as committed.
        return [_as_committed(outcome) for outcome in outcomes]

    def kept(self, book_order_id: int) -> OrderRecord | None:
        """The record of an open order of the book as of the last commit, if kept."""
        return self._kept.get(book_order_id)

    def kept_by_id(self, order_id: uuid.UUID) -> OrderRecord | None:
        """:meth:`kept`, by the order's id."""
        book_id = self._kept_ids.get(order_id)
        return None if book_id is None else self._kept[book_id]

    def _keep(self, touched: dict[int, OrderRecord]) -> None:
        """Keep the committed records of the orders a batch touched that are still open, the
        most recently touched last; forget those done, and the oldest beyond KEPT_ORDERS."""
        kept, ids = self._kept, self._kept_ids
        for book_id, order in touched.items():
            if kept.pop(book_id, None) is not None:
                del ids[order.id]
            if order.status in _OPEN:
                kept[book_id] = order
                ids[order.id] = book_id
        for book_id in list(itertools.islice(kept, max(0, len(kept) - KEPT_ORDERS))):
            del ids[kept.pop(book_id).id]

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

    async def _save_state(self, session: AsyncSession, digest: int) -> None:
        values = {
            "seq": self.book.seq,
            "trade_seq": self.book.trade_seq,
            "last_book_order_id": self._last_order_id,
            "last_price_ticks": self.book.last_price,
            "state_hash": format(digest, "064x"),
            "updated_at": utcnow(),
        }
        connection = await session.connection()
        if self._state_saved:
            await connection.execute(
                update(BookState)
                .where(BookState.instrument_id == self.market.instrument_id)
                .values(values)
            )
        else:
            await connection.execute(
                insert(BookState).values(instrument_id=self.market.instrument_id, **values)
            )


@dataclass(frozen=True, slots=True)
class _TradeTerms:
    """What one trade settles for: its price, cash and fees, in minor units."""

    market: Market
    quantity: int
    ticks: int
    price: Decimal
    aggressor: OrderSide
    traded: date
    settles: date
    principal: int
    accrued: int
    total: int  # principal + accrued: what the seller receives before its fee
    buyer_fee: int
    seller_fee: int
    on_chain: bool  # the units deliver on chain; the seller's proceeds wait for it

    @property
    def buyer_pays(self) -> int:
        """The buyer's cash out: the dirty amount and its fee."""
        return self.total + self.buyer_fee

    def receipts(self, buyer: Owner, seller: Owner) -> list[Leg]:
        """The legs every trade has, whatever the sides paid from: the seller's cash (settling
        until the chain delivers the units, if it does), the fees and the buyer's units."""
        market = self.market
        proceeds = Bucket.SETTLING if self.on_chain else Bucket.AVAILABLE
        return [
            Leg(AccountKey(seller, market.currency, proceeds), self.total - self.seller_fee),
            Leg(AccountKey(FEES, market.currency, Bucket.SYSTEM), self.buyer_fee + self.seller_fee),
            Leg(AccountKey(buyer, market.isin, Bucket.AVAILABLE), self.quantity),
        ]

    def entry(self, legs: list[Leg], reference: str) -> EntryDraft:
        """The trade's ledger entry (legs of nothing left out)."""
        return EntryDraft(
            kind="trade",
            description=f"Trade {self.market.isin}: {self.quantity} @ {self.price}",
            legs=tuple(leg for leg in legs if leg.amount),
            reference=reference,
        )


class _Step:
    """Applies one batch's commands inside its transaction and writes what they caused."""

    def __init__(self, writer: BookWriter, session: AsyncSession) -> None:
        self._writer = writer
        self._market = writer.market
        self._session = session
        self._outbox = Outbox()
        self._ledger = LedgerBatch(session, self._outbox.record)
        #: The orders the batch touched, by book id: one record per order, new or read.
        self.touched: dict[int, OrderRecord] = {}
        #: Each touched order's share of the book's digest when the batch first touched it.
        self._digest_before: dict[int, int] = {}
        self._new: list[OrderRecord] = []  # inserted by `write`; the other touched updated
        #: The book's orders the commands name, by id and by book id (not touched yet).
        self._named: dict[uuid.UUID, OrderRecord] = {}
        self._named_in_book: dict[int, OrderRecord] = {}
        #: The orders that (user, client_order_id) pairs of the batch's tickets already name.
        self._used: dict[tuple[uuid.UUID, str], uuid.UUID] = {}
        self._trades: list[tuple[object, ...]] = []  # rows of _TRADES
        self._traded: date | None = None
        self._settles: date | None = None
        self._prices: dict[int, Decimal] = {}
        self._texts: dict[uuid.UUID, str] = {}
        self._cash: dict[tuple[int, int], TradeCash] = {}
        self._levels: dict[tuple[Side, int], BookDelta] = {}
        self._now = utcnow()
        self._ts = epoch_ms(self._now)
        self._on_chain = False

    async def prepare(self, commands: Sequence[_Command]) -> None:
        """Read what `commands` need, a statement each: whether the bond's trades deliver on
        chain (it may have been tokenized since the last batch), the orders they name that the
        writer did not keep, the `client_order_id`s they reuse, and their senders' accounts
        (locked)."""
        market = self._market
        self._on_chain = await InstrumentService(self._session).settles_on_chain(
            market.instrument_id
        )
        unread = []
        for command in commands:
            if isinstance(command, _Cancel | ReplaceTicket):
                kept = self._writer.kept_by_id(command.order_id)
                if kept is None:
                    unread.append(command.order_id)
                else:
                    self._name(kept)
        if unread:
            rows = await self._session.execute(
                _NAMED_ORDERS, {"instrument_id": market.instrument_id, "order_ids": unread}
            )
            for values in rows:
                self._name(self._record(values))
        self._used = await OrderService(self._session).used_client_order_ids(
            {(c.user_id, c.request.client_order_id) for c in commands if isinstance(c, OrderTicket)}
        )
        await self._hold(
            {
                c.user_id
                for c in commands
                if not isinstance(c, _Tick | OffBookTrade) and c.user_id is not None
            }
        )

    def _name(self, order: OrderRecord) -> None:
        """Hold `order`, which a command names, for :meth:`_live` and :meth:`_known`."""
        self._named[order.id] = order
        self._named_in_book[order.book_order_id] = order

    async def write(self) -> None:
        """Write what the batch caused: ledger entries and balances, then the new orders and
        the changes to the others, the trades, and the events in the order they happened."""
        await self._ledger.write()
        connection = await self._session.connection()
        await _NEW_ORDERS(connection, [_order_values(order) for order in self._new])
        new = {order.book_order_id for order in self._new}
        await _ORDER_CHANGES(
            connection,
            [
                _order_changes(order)
                for book_id, order in self.touched.items()
                if book_id not in new
            ],
        )
        await _TRADES(connection, self._trades)
        await self._session.flush()  # an off-book deal's venue writes its rows in the session
        await self._outbox.write(self._session)

    async def run(self, command: _Command) -> _Outcome | Problem:
        """Apply one command; a refusal is returned (and changed nothing), not raised."""
        try:
            match command:
                case OrderTicket():
                    return await self._new_order(command)
                case ReplaceTicket():
                    return await self._replace(command)
                case _Cancel():
                    return await self._cancel(command)
                case _CancelAll():
                    return await self._cancel_all(command.user_id)
                case _Tick():
                    await self._tick()
                    return None
                case OffBookTrade():
                    return await self._off_book(command)
        except Problem as problem:
            return problem

    # -- commands --------------------------------------------------------------------------

    async def _new_order(self, ticket: OrderTicket) -> OrderRecord:
        request = ticket.request
        used = ticket.user_id, request.client_order_id
        if used in self._used:
            raise duplicate_client_order_id(self._used[used])
        market = self._market
        order = OrderRecord(
            id=new_id(),
            user_id=ticket.user_id,
            instrument_id=market.instrument_id,
            client_order_id=request.client_order_id,
            book_order_id=self._writer.next_order_id(),
            side=request.side.value,
            order_type=request.order_type.value,
            time_in_force=request.time_in_force.value,
            post_only=request.post_only,
            price=self._price(ticket.price_ticks),
            price_ticks=ticket.price_ticks,
            limit_yield=request.yield_percent,
            stop_price=None if ticket.stop_ticks is None else self._price(ticket.stop_ticks),
            stop_price_ticks=ticket.stop_ticks,
            display_quantity=request.display_quantity,
            min_quantity=request.min_quantity,
            all_or_none=request.all_or_none,
            expire_at=ticket.expire_at,
            self_trade_prevention=request.self_trade_prevention.value,
            quantity=request.quantity,
            filled_quantity=0,
            cancelled_quantity=0,
            leaves_quantity=request.quantity,
            shown_quantity=0,
            priority=0,
            status=(OrderState.QUEUED if ticket.queued else OrderState.NEW).value,
            reject_reason=None,
            reserved_asset=ticket.reserve_asset,
            reserved=ticket.reserve_amount,
            created_at=self._now,
            updated_at=None,
        )
        await self._reserve(order, ticket.reserve_amount, "reserve")
        self._used[used] = order.id
        self._track(order, new=True)
        if ticket.queued:
            self._writer.queued += 1
            self._emit("order.queued.v1", order)
            return order
        await self._apply(self._writer.book.apply(self._command(order)))
        return order

    async def _replace(self, ticket: ReplaceTicket) -> OrderRecord:
        order = self._live(ticket.user_id, ticket.order_id, "replaced")
        if order.status == OrderState.QUEUED.value or order.status == OrderState.PENDING_TRIGGER:
            raise Conflict(
                code="order.not_replaceable",
                detail="Only an order resting in the book can be replaced.",
            )
        quantity = order.quantity if ticket.quantity is None else ticket.quantity
        ticks = order.price_ticks if ticket.price_ticks is None else ticket.price_ticks
        leaves = quantity - order.filled_quantity - order.cancelled_quantity
        if leaves <= 0:
            raise Unprocessable(
                code="order.replace_quantity_too_low",
                detail=f"{order.filled_quantity} already traded: the new quantity must be more.",
            )
        needed = self._reservation(order, leaves, ticks)
        # Refused: nothing of this replace remains.
        with self._ledger.savepoint(), self._outbox.savepoint():
            if needed > order.reserved:
                await self._reserve(order, needed - order.reserved, "replace")
            events = self._writer.book.apply(
                ReplaceOrder(
                    OrderId(order.book_order_id),
                    qty=quantity,
                    price=ticks,
                    account=account_of(order.user_id),
                    ts=self._ts,
                )
            )
            if rejected := [e for e in events if isinstance(e, ReplaceRejected)]:
                raise Conflict(
                    code="order.not_replaceable",
                    detail=f"The book refused the change: {rejected[0].reason.value}.",
                )
        if needed < order.reserved:
            await self._release(order, order.reserved - needed, "replace")
        order.reserved = needed
        order.price = self._price(ticks)
        order.price_ticks = ticks
        if ticket.price_ticks is not None:
            order.limit_yield = ticket.limit_yield
        await self._apply(events)
        if order.status in _LIVE:
            self._emit("order.replaced.v1", order)
        return order

    async def _cancel(self, command: _Cancel) -> OrderRecord:
        order = self._live(command.user_id, command.order_id, "cancelled")
        if order.status == OrderState.QUEUED.value:
            await self._unqueue(order)
            return order
        events = self._writer.book.apply(
            CancelOrder(OrderId(order.book_order_id), account_of(order.user_id))
        )
        if any(isinstance(event, CancelRejected) for event in events):
            raise Conflict(code="order.not_cancellable", detail="This order is no longer open.")
        await self._apply(events)
        return order

    async def _cancel_all(self, user_id: uuid.UUID | None) -> list[OrderRecord]:
        account = None if user_id is None else account_of(user_id)
        events = self._writer.book.apply(CancelAll(account, ts=self._ts))
        await self._apply(events)
        cancelled = [self.touched[e.order_id] for e in events if isinstance(e, OrderCancelled)]
        for order in await self._queued_orders(user_id):
            await self._unqueue(order)
            cancelled.append(order)
        return cancelled

    async def _tick(self) -> None:
        await self._apply(self._writer.book.apply(Expire(self._ts)))
        if self._writer.queued and self._market.hours.is_open(self._now):
            for order in await self._queued_orders(None):
                self._writer.queued -= 1
                order.status = OrderState.NEW.value
                await self._apply(self._writer.book.apply(self._command(order)))

    # -- helpers ---------------------------------------------------------------------------

    async def _hold(self, users: Iterable[uuid.UUID]) -> None:
        """Lock the accounts of `users` that their commands or trades in this book may post
        to (and the fees account), in one statement."""
        market = self._market
        keys = [
            AccountKey(Owner.user(user), asset, bucket)
            for user in users
            for asset in (market.currency, market.isin)
            for bucket in (Bucket.AVAILABLE, Bucket.LOCKED)
        ]
        if keys:
            keys.append(AccountKey(FEES, market.currency, Bucket.SYSTEM))
        await self._ledger.hold(keys)

    def _track(self, order: OrderRecord, *, new: bool = False) -> None:
        """Touch `order` (the batch writes it), noting its share of the digest before any
        change (a new order had none)."""
        book_id = order.book_order_id
        if book_id not in self.touched:
            self.touched[book_id] = order
            self._digest_before[book_id] = 0 if new else _row_digest(order)
            if new:
                self._new.append(order)

    def digest(self, before: int) -> int:
        """The book's digest after this batch: `before` with each touched order's share
        replaced by its share now (O(orders touched), not O(book))."""
        change = sum(
            _row_digest(self.touched[book_id]) - share
            for book_id, share in self._digest_before.items()
        )
        return (before + change) % DIGEST_MODULUS

    def _command(self, order: OrderRecord) -> NewOrder:
        """The engine command that places `order`."""
        return NewOrder(
            order_id=OrderId(order.book_order_id),
            account=account_of(order.user_id),
            side=_SIDES[order.side],
            qty=order.quantity,
            price=order.price_ticks,
            order_type=_KINDS[order.order_type],
            tif=_TIFS[order.time_in_force],
            expire_at=None if order.expire_at is None else epoch_ms(order.expire_at),
            stop_price=order.stop_price_ticks,
            display_qty=order.display_quantity,
            min_qty=order.min_quantity,
            all_or_none=order.all_or_none,
            post_only=order.post_only,
            stp=_STP[order.self_trade_prevention],
            ts=self._ts,
        )

    def _live(self, user_id: uuid.UUID, order_id: uuid.UUID, verb: str) -> OrderRecord:
        """One of the user's open orders in this book (404 for anyone else's, 409 if it is
        done), as the batch holds it."""
        order = self._named.get(order_id)
        if order is None or order.user_id != user_id:
            raise not_found("order")
        if order.status not in _OPEN:
            raise Conflict(
                code=f"order.not_{'cancellable' if verb == 'cancelled' else 'replaceable'}",
                detail=f"This order is {order.status}; only open orders can be {verb}.",
            )
        self._track(order)
        return order

    async def _queued_orders(self, user_id: uuid.UUID | None) -> list[OrderRecord]:
        """The instrument's orders waiting for the open (of one user, when given), first sent
        first, as the batch holds them (its own new ones included); all touched."""
        query = select(*_ORDER_COLUMNS).where(
            Order.instrument_id == self._market.instrument_id,
            Order.status == OrderState.QUEUED.value,
        )
        if user_id is not None:
            query = query.where(Order.user_id == user_id)
        for values in await self._session.execute(query):
            self._track(self._record(values))
        queued = [
            order
            for order in self.touched.values()
            if order.status == OrderState.QUEUED.value
            and (user_id is None or order.user_id == user_id)
        ]
        return sorted(queued, key=lambda order: (order.created_at, order.id))

    async def _unqueue(self, order: OrderRecord) -> None:
        """Cancel an order that never reached the book."""
        self._writer.queued -= 1
        await self._finish(order, OrderState.CANCELLED)

    def _reservation(self, order: OrderRecord, leaves: int, ticks: int) -> int:
        """What `order` must hold for `leaves` more units at no more than `ticks`."""
        if order.side == OrderSide.SELL:
            return leaves
        return self._market.buy_reservation(leaves, ticks, self._trade_date())

    async def _reserve(self, order: OrderRecord, amount: int, why: str) -> None:
        try:
            await self._ledger.post(
                reservation(
                    order.user_id,
                    order.reserved_asset,
                    amount,
                    reference=f"order:{self._text(order.id)}:{why}:{self._writer.book.seq}",
                    description=f"Reserved for order {order.client_order_id}",
                )
            )
        except InsufficientFunds as exc:
            raise Unprocessable(
                code="order.insufficient_funds",
                detail=f"Not enough {order.reserved_asset} available for this order "
                f"({amount} minor units more needed).",
                extra={"asset": order.reserved_asset, "required": amount},
            ) from exc

    async def _release(self, order: OrderRecord, amount: int, why: str) -> None:
        await self._ledger.post(
            release(
                order.user_id,
                order.reserved_asset,
                amount,
                reference=f"order:{self._text(order.id)}:{why}-release:{self._writer.book.seq}",
                description=f"Released: order {order.client_order_id} {why}",
            )
        )

    def _trade_date(self) -> date:
        if self._traded is None:
            self._traded = trade_date()
        return self._traded

    # -- events ----------------------------------------------------------------------------

    async def _apply(self, events: list[Event]) -> None:
        await self._load(_order_ids(events))
        touched: set[int] = set()
        for event in events:
            match event:
                case Trade():
                    await self._settle(event)
                case OrderAccepted(order_id=oid):
                    self._emit("order.accepted.v1", self.touched[oid])
                case OrderPartiallyFilled(order_id=oid):
                    row = self.touched[oid]
                    row.filled_quantity = event.filled_qty
                    row.leaves_quantity = event.leaves_qty
                    row.status = OrderState.PARTIALLY_FILLED.value
                    self._emit("order.partially_filled.v1", row)
                case OrderFilled(order_id=oid):
                    row = self.touched[oid]
                    row.filled_quantity = event.filled_qty
                    await self._finish(row, OrderState.FILLED)
                case OrderCancelled(order_id=oid):
                    await self._finish(self.touched[oid], OrderState.CANCELLED)
                case OrderExpired(order_id=oid):
                    await self._finish(self.touched[oid], OrderState.EXPIRED)
                case OrderRejected(order_id=oid):
                    row = self.touched[oid]
                    row.reject_reason = event.reason.value
                    await self._finish(row, OrderState.REJECTED)
                case OrderTriggered(order_id=oid):
                    self._emit("order.triggered.v1", self.touched[oid])
                case BookDelta(side=side, price=price):
                    self._levels[side, price] = event
                case _:
                    pass  # reductions and replaces: the order is refreshed below
            if hasattr(event, "order_id"):
                touched.add(int(event.order_id))
        for book_id in touched:
            row = self.touched[book_id]
            row.updated_at = self._now
            snap = self._writer.book.order(OrderId(book_id))
            if snap is not None:
                row.status = _STATES[snap.status]
                row.quantity = snap.qty
                row.leaves_quantity = snap.leaves_qty
                row.shown_quantity = snap.shown_qty
                row.filled_quantity = snap.filled_qty
                row.cancelled_quantity = snap.cancelled_qty
                row.priority = snap.priority
                await self._release_surplus(row)

    async def _release_surplus(self, row: OrderRecord) -> None:
        """A sell holds exactly its open units: give back what a decrement took off."""
        if row.side == OrderSide.SELL and row.reserved > row.leaves_quantity:
            await self._release(row, row.reserved - row.leaves_quantity, "reduced")
            row.reserved = row.leaves_quantity

    async def _finish(self, row: OrderRecord, state: OrderState) -> None:
        """A terminal order: nothing is left open, and what it still holds goes back."""
        row.status = state.value
        row.cancelled_quantity = row.quantity - row.filled_quantity
        row.leaves_quantity = row.shown_quantity = 0
        if row.reserved:
            await self._ledger.post(
                release(
                    row.user_id,
                    row.reserved_asset,
                    row.reserved,
                    reference=f"order:{self._text(row.id)}:release",
                    description=f"Released: order {row.client_order_id} {state.value}",
                )
            )
            row.reserved = 0
        self._emit(f"order.{state.value}.v1", row)

    async def _settle(self, event: Trade) -> None:
        """Move the buyer's cash, the seller's units and both fees in one entry; record it.
        Both sides pay from what their orders reserved (a buy's shortfall, if its reservation
        fell short, from its available cash)."""
        market = self._market
        taker, maker = self.touched[event.taker_order_id], self.touched[event.maker_order_id]
        buy, sell = (taker, maker) if event.taker_side is Side.BUY else (maker, taker)
        terms = self._terms(event.qty, event.price, OrderSide(taker.side))
        from_locked = min(buy.reserved, terms.buyer_pays)
        buyer, seller = Owner.user(buy.user_id), Owner.user(sell.user_id)
        legs = [
            Leg(AccountKey(buyer, market.currency, Bucket.LOCKED), -from_locked),
            Leg(
                AccountKey(buyer, market.currency, Bucket.AVAILABLE),
                from_locked - terms.buyer_pays,
            ),
            Leg(AccountKey(seller, market.isin, Bucket.LOCKED), -event.qty),
            *terms.receipts(buyer, seller),
        ]
        entry_id = await self._ledger.post(
            terms.entry(legs, f"trade:{market.instrument_id}:{event.trade_id}")
        )
        buy.reserved -= from_locked
        sell.reserved -= event.qty
        self._record_trade(
            terms,
            trade_seq=event.trade_id,
            buyer_id=buy.user_id,
            seller_id=sell.user_id,
            journal_entry_id=entry_id,
            buy_order_id=buy.id,
            sell_order_id=sell.id,
        )

    async def _off_book(self, command: OffBookTrade) -> TradeRow:
        """Execute a trade agreed away from the book: its venue confirms the deal still
        stands, both sides pay from what they have available (nothing was reserved), and the
        trade takes the book's next trade id and settles as a book trade does. A side short of
        cash or units refuses it, changing nothing."""
        await command.deal.confirm(self._session)
        market = self._market
        await self._hold({command.buyer_id, command.seller_id})
        terms = self._terms(command.quantity, command.price_ticks, command.aggressor_side)
        buyer, seller = Owner.user(command.buyer_id), Owner.user(command.seller_id)
        legs = [
            Leg(AccountKey(buyer, market.currency, Bucket.AVAILABLE), -terms.buyer_pays),
            Leg(AccountKey(seller, market.isin, Bucket.AVAILABLE), -command.quantity),
            *terms.receipts(buyer, seller),
        ]
        reference = f"trade:{market.instrument_id}:{command.venue.value}:{command.venue_ref}"
        try:
            entry_id = await self._ledger.post(terms.entry(legs, reference))
        except InsufficientFunds as exc:
            cash = exc.extra.get("asset") == market.currency
            raise Unprocessable(
                code="trade.insufficient_cash" if cash else "trade.insufficient_units",
                detail=f"The {'buyer' if cash else 'seller'} does not have the "
                f"{'cash' if cash else 'units'} available for this trade.",
                extra={"party": "buyer" if cash else "seller"},
            ) from exc
        row = self._record_trade(
            terms,
            trade_seq=self._writer.book.number_off_book_trade(),
            buyer_id=command.buyer_id,
            seller_id=command.seller_id,
            journal_entry_id=entry_id,
            venue=command.venue,
            venue_ref=command.venue_ref,
        )
        trade = TradeRow(**dict(zip(_TRADES.columns, row, strict=True)))
        try:
            await command.deal.record(self._session, trade, self._outbox.record)
        except Problem as exc:  # it confirmed the deal: failing the whole batch is the safe way
            raise RuntimeError(f"the venue refused a trade it had confirmed: {exc.code}") from exc
        return trade

    def _terms(self, quantity: int, ticks: int, aggressor: OrderSide) -> _TradeTerms:
        """What a trade of `quantity` at `ticks` settles for today, the aggressor paying the
        taker fee and the other side the maker fee."""
        market = self._market
        traded = self._trade_date()
        if self._settles is None:
            self._settles = market.settlement_date(traded)
        price = self._price(ticks)
        cash = self._cash.get((quantity, ticks))
        if cash is None:
            cash = trade_cash(market.terms, self._settles, quantity, price, market.scale)
            self._cash[quantity, ticks] = cash
        taker_fee = market.fee(cash.principal, market.taker_fee_bps)
        maker_fee = market.fee(cash.principal, market.maker_fee_bps)
        buyer_fee, seller_fee = (
            (taker_fee, maker_fee) if aggressor is OrderSide.BUY else (maker_fee, taker_fee)
        )
        return _TradeTerms(
            market, quantity, ticks, price, aggressor, traded, self._settles, cash.principal,
            cash.accrued, cash.total, buyer_fee, seller_fee, self._on_chain,
        )  # fmt: skip

    def _price(self, ticks: int) -> Decimal:
        """The clean price of `ticks` (a batch's orders and trades share a few prices)."""
        price = self._prices.get(ticks)
        if price is None:
            price = self._prices[ticks] = self._market.clean_price(ticks)
        return price

    def _record_trade(
        self,
        terms: _TradeTerms,
        *,
        trade_seq: int,
        buyer_id: uuid.UUID,
        seller_id: uuid.UUID,
        journal_entry_id: uuid.UUID,
        buy_order_id: uuid.UUID | None = None,
        sell_order_id: uuid.UUID | None = None,
        venue: Venue = Venue.BOOK,
        venue_ref: uuid.UUID | None = None,
    ) -> tuple[object, ...]:
        """The trade's row (written with the batch) and its `trade.executed.v1` event."""
        market = self._market
        trade_id = new_id()
        row = (
            trade_id, market.instrument_id, trade_seq, terms.price, terms.ticks, terms.quantity,
            terms.aggressor.value, buy_order_id, sell_order_id, buyer_id, seller_id, venue.value,
            venue_ref, market.currency, terms.principal, terms.accrued, terms.total,
            terms.buyer_fee, terms.seller_fee, terms.traded, terms.settles, journal_entry_id,
            terms.on_chain, utcnow(),
        )  # fmt: skip
        self._trades.append(row)
        self._outbox.record(
            "trade.executed.v1",
            {
                "trade_id": str(trade_id),
                "instrument_id": self._text(market.instrument_id),
                "trade_seq": trade_seq,
                "venue": venue.value,
                "price": str(terms.price),
                "quantity": terms.quantity,
                "aggressor_side": terms.aggressor.value,
                "buy_order_id": None if buy_order_id is None else self._text(buy_order_id),
                "sell_order_id": None if sell_order_id is None else self._text(sell_order_id),
                "buyer_id": self._text(buyer_id),
                "seller_id": self._text(seller_id),
                "dirty_amount": terms.total,
                "accrued_interest": terms.accrued,
                "buyer_fee": terms.buyer_fee,
                "seller_fee": terms.seller_fee,
                "settlement_date": terms.settles.isoformat(),
                "settles_on_chain": terms.on_chain,
            },
        )
        return row

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
        self._outbox.record(
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

    def _emit(self, type_: str, row: OrderRecord) -> None:
        """Record an `order.*.v1` event: the order as its owner sees it."""
        text = self._text
        self._outbox.record(
            type_,
            {
                "order_id": text(row.id),
                "user_id": text(row.user_id),
                "instrument_id": text(row.instrument_id),
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
            },
        )

    def _text(self, id_: uuid.UUID) -> str:
        """`str(id_)`, made once per batch (an order's and its owner's ids recur in events)."""
        text = self._texts.get(id_)
        if text is None:
            text = self._texts[id_] = str(id_)
        return text

    async def _load(self, book_order_ids: Iterable[int]) -> None:
        """Touch the records of these book orders (read if the batch has none), and lock their
        owners' accounts."""
        missing = []
        for book_id in book_order_ids:
            order = self._known(book_id)
            if order is None:
                missing.append(book_id)
            else:
                self._track(order)
        if not missing:
            return
        rows = await self._session.execute(
            _BOOK_ORDERS, {"instrument_id": self._market.instrument_id, "book_order_ids": missing}
        )
        orders = [OrderRecord(*values) for values in rows]
        for order in orders:
            self._track(order)
        await self._hold({order.user_id for order in orders})

    def _known(self, book_id: int) -> OrderRecord | None:
        """The record the batch has of book order `book_id`: touched, named by a command, or
        kept by the writer from an earlier batch (one record per order, whichever way)."""
        order = self.touched.get(book_id) or self._named_in_book.get(book_id)
        return order if order is not None else self._writer.kept(book_id)

    def _record(self, values: Sequence[Any]) -> OrderRecord:
        """The batch's record of the order read as `values`: the one it has, if any."""
        order = OrderRecord(*values)
        known = self._known(order.book_order_id)
        return order if known is None else known


DIGEST_MODULUS = 1 << 256


def book_digest(book: Book) -> int:
    """A digest of every live order of `book` with every field that restores it (priority
    included, so the queues are part of it): the sum of each order's BLAKE2b digest modulo
    2**256. Being a sum, a commit updates it from the orders it touched alone, and a book
    rebuilt from the database must reproduce it exactly."""
    return sum(map(_snapshot_digest, book.snapshot())) % DIGEST_MODULUS


def _snapshot_digest(s: OrderSnapshot) -> int:
    fields = (
        s.order_id, s.account, int(s.side), int(s.order_type), int(s.tif), s.price,
        s.stop_price, s.qty, s.leaves_qty, s.shown_qty, s.filled_qty, s.cancelled_qty,
        int(s.status), s.priority, s.expire_at, s.display_qty, s.min_qty, s.all_or_none,
        s.post_only, int(s.stp),
    )  # fmt: skip
    return int.from_bytes(hashlib.blake2b(repr(fields).encode(), digest_size=32).digest())


def _row_digest(row: OrderRecord) -> int:
    """An order row's share of its book's digest (0 unless the book holds it)."""
    if row.status not in _LIVE:
        return 0
    return _snapshot_digest(_snapshot(row))


def _order_ids(events: list[Event]) -> set[int]:
    ids: set[int] = set()
    for event in events:
        if isinstance(event, Trade):
            ids.update((event.taker_order_id, event.maker_order_id))
        elif hasattr(event, "order_id"):
            ids.add(event.order_id)
    return ids


def _snapshot(row: OrderRecord) -> OrderSnapshot:
    """A live order as the engine needs it back."""
    return OrderSnapshot(
        order_id=OrderId(row.book_order_id),
        account=account_of(row.user_id),
        side=_SIDES[row.side],
        order_type=_KINDS[row.order_type],
        tif=_TIFS[row.time_in_force],
        price=row.price_ticks,
        stop_price=row.stop_price_ticks,
        qty=row.quantity,
        leaves_qty=row.leaves_quantity,
        shown_qty=row.shown_quantity,
        filled_qty=row.filled_quantity,
        cancelled_qty=row.cancelled_quantity,
        status=_STATUSES[row.status],
        priority=row.priority,
        expire_at=None if row.expire_at is None else epoch_ms(row.expire_at),
        display_qty=row.display_quantity,
        min_qty=row.min_quantity,
        all_or_none=row.all_or_none,
        post_only=row.post_only,
        stp=_STP[row.self_trade_prevention],
    )


class BookHandle(Protocol):
    """An instrument's book as the venue uses it: its :class:`BookWriter` in the process
    holding its lease, or a :class:`~liquibond.trading.forwarding.RemoteBook` in another."""

    @property
    def book(self) -> Book:
        """The book as of the last commit."""

    async def submit(self, ticket: OrderTicket) -> OrderRecord:
        """Place an order."""

    async def replace(self, ticket: ReplaceTicket) -> OrderRecord:
        """Change one of the user's resting orders."""

    async def cancel(self, user_id: uuid.UUID, order_id: uuid.UUID) -> OrderRecord:
        """Cancel one of the user's orders."""

    async def cancel_all(self, user_id: uuid.UUID | None) -> list[OrderRecord]:
        """Cancel every open order of the user, or of everyone."""

    async def off_book(self, trade: OffBookTrade) -> TradeRow:
        """Execute a trade agreed off the book."""

    async def depth(self, levels: int | None = None) -> tuple[int, Depth]:
        """The committed L2 book and its sequence."""


class Trading:
    """The writers of the books this process holds the leases of (on `app.state`)."""

    def __init__(
        self,
        database: Database,
        *,
        on_commit: Callable[[], None] | None = None,
        leases: LeaseManager | None = None,
        remote: Callable[[Market], BookHandle] | None = None,
    ) -> None:
        """`on_commit` runs after each book's commit (e.g. to wake the outbox relay, so
        real-time subscribers hear of it at once). `remote` gives the book of a market
        another process holds, to forward commands to it (without it they are refused)."""
        self._database = database
        self._on_commit = on_commit
        self._leases = leases or LeaseManager(database)
        self._remote = remote
        self._writers: dict[uuid.UUID, BookWriter] = {}
        #: Books with a committed state whose lease another process held when last tried.
        self._elsewhere: set[uuid.UUID] = set()
        self._takeovers: list[asyncio.Task[None]] = []
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        """Take over every book that has a committed state: rebuild it and check its hash.

        A book whose lease another process holds is left to it for now: it is taken over in
        the background as soon as that lease lapses (a predecessor that crashed holds it for
        up to one lease duration), and until then its orders go to that process if they are
        forwarded (503 `trading.book_elsewhere` if not, or if it does not answer). Starting
        never waits for a dead process's lease."""
        async with UnitOfWork(self._database, write=False) as uow:
            ids = list(await uow.session.scalars(select(BookState.instrument_id)))
            service = OrderService(uow.session)
            markets = [await service.market(instrument_id) for instrument_id in ids]
        started = await asyncio.gather(*(self._try_start(market) for market in markets))
        self._takeovers = [
            asyncio.create_task(self._take_over(market), name=f"book-takeover-{market.isin}")
            for market, ok in zip(markets, started, strict=True)
            if not ok
        ]

    async def stop(self) -> None:
        """Stop every writer (and every pending takeover) and give their leases back."""
        for task in self._takeovers:
            task.cancel()
        await asyncio.gather(*self._takeovers, return_exceptions=True)
        writers, self._writers = list(self._writers.values()), {}
        await asyncio.gather(*(writer.stop() for writer in writers))

    @property
    def holder(self) -> str:
        """This process's identity in the leases it holds."""
        return self._leases.holder

    async def writer(self, market: Market) -> BookHandle:
        """`market`'s book: its writer here (see :meth:`local_writer`) or, if another process
        holds it and commands are forwarded, that process's. 503 `trading.book_elsewhere`
        if another process holds it and they are not."""
        try:
            return await self.local_writer(market)
        except ServiceUnavailable as exc:
            if self._remote is None or exc.code != "trading.book_elsewhere":
                raise
            return self._remote(market)

    async def local_writer(self, market: Market) -> BookWriter:
        """The writer of `market`'s book, started on first use. `market` is read fresh by each
        request, so a change of market parameters (fees, hours) reaches the writer with the
        next order after it. 503 `trading.book_elsewhere` if another process holds it."""
        writer = self._writers.get(market.instrument_id)
        if writer is not None:
            if writer.market is not market and writer.market != market:
                writer.market = market
            return writer
        async with self._lock:
            writer = self._writers.get(market.instrument_id)
            return writer if writer is not None else await self._start(market)

    def writers(self) -> dict[uuid.UUID, BookWriter]:
        """The running writers by instrument id."""
        return dict(self._writers)

    def held_elsewhere(self, instrument_id: uuid.UUID) -> bool:
        """Whether the instrument's book is (as far as this process last saw) written by
        another process, so this one cannot tell what rests in it."""
        return instrument_id in self._elsewhere

    def taking_over(self) -> int:
        """How many books this process is still waiting to take over (a crashed predecessor's
        leases lapse within one lease duration of the start)."""
        return sum(not task.done() for task in self._takeovers)

    async def _try_start(self, market: Market) -> bool:
        """Start `market`'s writer unless it runs or another process holds its book."""
        try:
            async with self._lock:
                if market.instrument_id not in self._writers:
                    await self._start(market)
            return True
        except ServiceUnavailable as exc:
            if exc.code != "trading.book_elsewhere":
                raise
            return False

    async def _take_over(self, market: Market) -> None:
        """Try again, a few times per lease duration, to take over a book held elsewhere,
        until it is taken or one lease duration has passed (its holder is then alive)."""
        deadline = asyncio.get_running_loop().time() + self._leases.duration
        while asyncio.get_running_loop().time() <= deadline:
            await asyncio.sleep(self._leases.renew_interval / 4)
            try:
                if await self._try_start(market):
                    log.info("trading.book_taken_over", instrument=market.isin)
                    return
            except Exception:
                log.exception("trading.takeover_failed", instrument=market.isin)
                return
        log.warning("trading.book_held_elsewhere", instrument=market.isin)

    async def _start(self, market: Market) -> BookWriter:
        lease = await self._leases.acquire(market.instrument_id)
        if lease is None:
            self._elsewhere.add(market.instrument_id)
            raise elsewhere(market.isin)
        self._elsewhere.discard(market.instrument_id)
        writer = BookWriter(
            self._database,
            market,
            lease,
            self._leases,
            on_commit=self._on_commit,
            on_lost=self._forget,
        )
        await writer.start()
        self._writers[market.instrument_id] = writer
        return writer

    def _forget(self, writer: BookWriter) -> None:
        """Drop a writer that lost its lease; a later request may take the book back."""
        if self._writers.get(writer.market.instrument_id) is writer:
            del self._writers[writer.market.instrument_id]
            self._elsewhere.add(writer.market.instrument_id)

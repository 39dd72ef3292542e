"""The demo's liquidity provider: keeps the demo bonds' books alive for a newcomer.

Only in demo mode (see :mod:`liquibond.trading.runtime`). Two KYC-verified demo users, seeded
with cash and bonds by :mod:`liquibond.demo`, take part:

* the market maker (:data:`MAKER_EMAIL`) quotes every listed bond it holds: a few bid and
  ask levels around a reference price, the last trade or else a fair price (the bond priced
  by the analytics core at a plausible yield for its rating and tenor), leaning its prices
  against its inventory. Each round it cancels the quotes that no longer fit and places the
  missing ones; it only ever touches its own orders (:data:`ORDER_PREFIX`), so the demo's
  market-maker program, answering the maker's RFQs (see :mod:`liquibond.demo`), or a person
  signed in as the maker never has an order cancelled under it;
* now and then the flow trader (:data:`FLOW_EMAIL`) sends a small immediate-or-cancel order
  that trades with the best quote, so the tape, candles and ticker move. Two users, because
  self-trade prevention (rightly) never lets one user trade with itself.

Every order takes the path of a real one: the pre-trade checks and a committed unit of work,
then the book's writer, which reserves the funds. A refusal or a 503 is logged and the round
goes on; a failed round is logged and the next one comes; on shutdown the loop ends between
books, so no transaction is cut short. The pure functions below decide what to quote;
:class:`LiquidityProvider` does the I/O.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import random
import uuid
from collections import Counter
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal

import structlog

from liquibond.analytics import BondTerms, bond_price
from liquibond.config import Settings
from liquibond.identity.service import Credentials, IdentityService, Principal
from liquibond.instruments.models import InstrumentStatus
from liquibond.instruments.service import InstrumentService
from liquibond.ledger.entries import AccountKey, Owner
from liquibond.ledger.models import Bucket
from liquibond.ledger.service import LedgerService
from liquibond.platform.db import Database
from liquibond.platform.errors import Problem
from liquibond.platform.uow import UnitOfWork
from liquibond.trading.models import Order, OrderSide, OrderTif
from liquibond.trading.runner import OrderRecord, Trading
from liquibond.trading.schemas import OrderCreate
from liquibond.trading.service import (
    Market,
    OrderService,
    OrderTicket,
    PreTradeChecks,
    market_of,
)
from liquibond.valuation.service import GSEC_ISIN_PREFIX, trade_date

log = structlog.get_logger(__name__)

MAKER_EMAIL = "maker@demo.liquibond.dev"
FLOW_EMAIL = "flow@demo.liquibond.dev"

# Amounts in paise (the demo trades in INR).
MAKER_CASH = 5_00_00_000_00  # ₹5 crore
FLOW_CASH = 1_00_00_000_00  # ₹1 crore
MAKER_STOCK = 1_00_00_000_00  # ₹1 crore of face value of each bond, the maker's target holding
FLOW_STOCK = 25_00_000_00  # ₹25 lakh of face value of each bond
LEVEL_NOTIONAL = 5_00_000_00  # ₹5 lakh of face value at the best level; deeper levels hold more

LEVELS = 3
#: Half the spread and the gap between levels, in basis points of the price.
SOVEREIGN_SPACING_BP = (3, 2)
CREDIT_SPACING_BP = (10, 5)
#: The reference never strays further than this from the fair price (basis points).
REFERENCE_BAND_BP = 50
#: Chance, per book and round, that the flow trader trades.
CROSS_PROBABILITY = 0.2
#: Resting quotes read per book (the maker keeps 2 * LEVELS; leftovers go over rounds).
MAX_RESTING = 50
#: How its orders' `client_order_id`s begin: the maker's orders placed by anything else
#: (the market-maker program, a person) are not its to requote.
ORDER_PREFIX = "lp-"

#: A plausible Indian government curve: years to maturity → yield (a fraction).
SOVEREIGN_CURVE = ((0.0, 0.0640), (2.0, 0.0655), (5.0, 0.0675), (10.0, 0.0700), (30.0, 0.0725))
#: Spreads over that curve by rating; state loans (SDLs) pay a little over the centre.
CREDIT_SPREADS = {
    "SOV": 0.0,
    "AAA": 0.0065,
    "AA+": 0.0095,
    "AA": 0.0125,
    "AA-": 0.0160,
    "A+": 0.0225,
    "A": 0.0275,
}
STATE_LOAN_SPREAD = 0.0040
UNLISTED_RATING_SPREAD = 0.0350
_SOVEREIGN = "SOV"


# -- what to quote (pure) ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Quote:
    """An order the liquidity provider wants in a book: side, price in ticks, units."""

    side: OrderSide
    price_ticks: int
    quantity: int


@dataclass(frozen=True, slots=True)
class Ladder:
    """How a book is quoted: its lot rules, the best level's size and the spacing in ticks."""

    min_lot: int
    lot_increment: int
    level_units: int
    half_spread_ticks: int
    step_ticks: int
    levels: int = LEVELS


@dataclass(frozen=True, slots=True)
class Inventory:
    """What a trader can do in one book: the units it can sell, the units its cash can buy,
    and the holding it leans towards (0: none)."""

    units: int
    buyable_units: int
    target_units: int = 0


@dataclass(frozen=True, slots=True)
class Resting:
    """One of the maker's open orders in a book."""

    order_id: uuid.UUID
    side: OrderSide
    price_ticks: int
    leaves_quantity: int


def lot_size(units: int, min_lot: int, lot_increment: int) -> int:
    """The largest valid order quantity not above `units`; 0 below the minimum lot."""
    if units < min_lot:
        return 0
    return units - (units - min_lot) % lot_increment


def units_worth(notional: int, face_value: int, min_lot: int, lot_increment: int) -> int:
    """Whole lots of a bond with about `notional` of face value (at least the minimum lot)."""
    return lot_size(max(min_lot, notional // face_value), min_lot, lot_increment)


def rating_grade(rating: str) -> str:
    """A rating as an agency writes it (`CRISIL AAA`, `AA+ (CE)`, `Sovereign`) as its grade."""
    words = rating.upper().replace("(CE)", " ").split()
    grade = words[-1] if words else ""
    return _SOVEREIGN if grade.startswith(_SOVEREIGN) else grade


def is_state_loan(isin: str) -> bool:
    """True for a state development loan: an Indian government ISIN outside the centre's."""
    return isin[:2] == "IN" and isin[2:4].isdigit() and not isin.startswith(GSEC_ISIN_PREFIX)


def fair_yield(rating: str, years: float, *, state_loan: bool = False) -> float:
    """A plausible yield (a fraction) for a bond of this rating and years to maturity."""
    tenors = [tenor for tenor, _ in SOVEREIGN_CURVE]
    at = min(max(years, tenors[0]), tenors[-1])
    right = max(1, bisect.bisect_left(tenors, at))
    (t0, y0), (t1, y1) = SOVEREIGN_CURVE[right - 1], SOVEREIGN_CURVE[right]
    base = y0 + (y1 - y0) * (at - t0) / (t1 - t0)
    grade = rating_grade(rating)
    spread = CREDIT_SPREADS.get(grade, UNLISTED_RATING_SPREAD)
    return base + spread + (STATE_LOAN_SPREAD if state_loan and grade == _SOVEREIGN else 0.0)


def price_ticks(price: float, tick_size: Decimal) -> int:
    """A clean price as the nearest whole number of ticks (half to even; at least one)."""
    ticks = (Decimal(repr(price)) / tick_size).to_integral_value(ROUND_HALF_EVEN)
    return max(1, int(ticks))


def fair_ticks(terms: BondTerms, settles: date, yield_: float, tick_size: Decimal) -> int:
    """The bond's clean price at `yield_` for settlement on `settles`, in ticks."""
    return price_ticks(bond_price(terms, settles, yield_).clean, tick_size)


def reference_ticks(last: int | None, fair: int, band_bp: int = REFERENCE_BAND_BP) -> int:
    """The price to quote around: the last trade, held within `band_bp` of the fair price
    (so a run of trades one way cannot walk the book off), else the fair price."""
    if last is None:
        return fair
    band = max(1, fair * band_bp // 10_000)
    return min(max(last, fair - band), fair + band)


def ladder_for(
    reference: int, face_value: int, min_lot: int, lot_increment: int, *, sovereign: bool
) -> Ladder:
    """The quoting ladder of a bond: spacing in basis points of its price (tighter for
    government paper), the best level about :data:`LEVEL_NOTIONAL` of face value."""
    half_bp, step_bp = SOVEREIGN_SPACING_BP if sovereign else CREDIT_SPACING_BP
    return Ladder(
        min_lot=min_lot,
        lot_increment=lot_increment,
        level_units=units_worth(LEVEL_NOTIONAL, face_value, min_lot, lot_increment),
        half_spread_ticks=max(1, reference * half_bp // 10_000),
        step_ticks=max(1, reference * step_bp // 10_000),
    )


def quotes(reference: int, ladder: Ladder, inventory: Inventory) -> list[Quote]:
    """Bid and ask levels around `reference`, best first on each side.

    Level `n` (from 0) sits `half_spread + n * step` ticks from the middle and holds
    `n + 1` times the best level's size, in whole lots. The middle leans against the
    inventory: holding more than the target lowers it (sell more readily), less raises it,
    by at most half the spread, so a bid never meets an ask. Asks never offer more than
    `inventory.units`, bids never cost more than the cash allows, and with a target the
    maker never bids for more than twice the target in all.
    """
    target = inventory.target_units
    lean = 0
    bid_room = inventory.buyable_units
    if target > 0:
        excess = max(-1.0, min(1.0, (inventory.units - target) / target))
        lean = -round(excess * ladder.half_spread_ticks)
        bid_room = min(bid_room, max(0, 2 * target - inventory.units))
    middle = reference + lean
    placed: list[Quote] = []
    for side, sign, room in ((OrderSide.BUY, -1, bid_room), (OrderSide.SELL, 1, inventory.units)):
        for level in range(ladder.levels):
            price = middle + sign * (ladder.half_spread_ticks + level * ladder.step_ticks)
            size = lot_size(
                min(ladder.level_units * (level + 1), room), ladder.min_lot, ladder.lot_increment
            )
            if price < 1 or size == 0:
                break
            placed.append(Quote(side, price, size))
            room -= size
    return placed


def requotes(
    desired: Sequence[Quote], resting: Sequence[Resting]
) -> tuple[list[uuid.UUID], list[Quote]]:
    """The open orders to cancel and the quotes to place so the book shows `desired`: an open
    order that matches a wanted quote (side, price, remaining units) keeps its place."""
    wanted = Counter((quote.side, quote.price_ticks, quote.quantity) for quote in desired)
    cancel: list[uuid.UUID] = []
    for order in resting:
        key = (order.side, order.price_ticks, order.leaves_quantity)
        if wanted[key] > 0:
            wanted[key] -= 1
        else:
            cancel.append(order.order_id)
    place: list[Quote] = []
    for quote in desired:
        key = (quote.side, quote.price_ticks, quote.quantity)
        if wanted[key] > 0:
            wanted[key] -= 1
            place.append(quote)
    return cancel, place


def crossing_order(
    book: Sequence[Quote], ladder: Ladder, trader: Inventory, *, buy: bool
) -> Quote | None:
    """A small order that trades with the best quote of `book`: lifting the best ask to buy,
    hitting the best bid to sell, for half the best level's size; the other side when the
    trader cannot afford this one; None when it can do neither."""
    for side in (OrderSide.BUY, OrderSide.SELL) if buy else (OrderSide.SELL, OrderSide.BUY):
        opposite = [quote for quote in book if quote.side is not side]
        if not opposite:
            continue
        best = (min if side is OrderSide.BUY else max)(opposite, key=lambda q: q.price_ticks)
        room = trader.buyable_units if side is OrderSide.BUY else trader.units
        size = lot_size(
            min(max(ladder.min_lot, ladder.level_units // 2), best.quantity, room),
            ladder.min_lot,
            ladder.lot_increment,
        )
        if size:
            return Quote(side, best.price_ticks, size)
    return None


# -- the loop (I/O) ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Traders:
    maker: Principal
    flow: Principal


@dataclass(frozen=True, slots=True)
class _Book:
    """What one round needs to know about one book, read in one transaction."""

    market: Market
    face_value: int
    min_lot: int
    lot_increment: int
    credit_rating: str
    resting: list[Resting]
    maker_units: int  # available, plus offered in this book
    maker_cash: int  # available, plus reserved for bids in this book
    flow_units: int
    flow_cash: int


class LiquidityProvider:
    """Quotes the maker's books and trades in them now and then (see module docstring)."""

    def __init__(
        self,
        database: Database,
        trading: Trading,
        settings: Settings,
        credentials: Credentials,
        rng: random.Random | None = None,
    ) -> None:
        self._database = database
        self._trading = trading
        self._settings = settings
        self._credentials = credentials
        self._rng = rng or random.Random()  # noqa: S311 - demo order flow, not security
        self._traders: _Traders | None = None
        self._seen: set[tuple[str, str]] = set()
        self._stopping = asyncio.Event()

    async def run(self) -> None:
        """Tend the books every `demo_liquidity_interval_seconds` until :meth:`stop`; no
        failure ends the loop."""
        interval = self._settings.demo_liquidity_interval_seconds
        while not self._stopping.is_set():
            try:
                await self.round()
            except Exception:
                log.exception("demo.liquidity_round_failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), interval)

    def stop(self) -> None:
        """End the loop once the book in hand is done: its orders complete, so shutdown never
        cuts a transaction short."""
        self._stopping.set()

    async def round(self) -> None:
        """One pass over every listed bond the maker holds: requote it, maybe trade in it."""
        traders = await self._find_traders()
        if traders is None:
            return
        for instrument_id in await self._listed_holdings(traders.maker.user_id):
            if self._stopping.is_set():
                return
            try:
                await self._tend(await self._book(instrument_id, traders), traders)
            except Problem as problem:
                self._refused(str(instrument_id), problem)
            except Exception:
                log.exception("demo.liquidity_book_failed", instrument_id=str(instrument_id))

    async def _find_traders(self) -> _Traders | None:
        if self._traders is not None:
            return self._traders
        async with UnitOfWork(self._database, write=False) as uow:
            identity = IdentityService(uow.session, self._credentials)
            principals = []
            for email in (MAKER_EMAIL, FLOW_EMAIL):
                user_id = await identity.find_user_id(email)
                if user_id is None:
                    self._note("demo.liquidity_idle", "demo", "no_trader", f"No user {email}.")
                    return None
                principals.append(Principal(user_id, await identity.roles_of(user_id)))
        self._traders = _Traders(*principals)
        return self._traders

    async def _listed_holdings(self, maker_id: uuid.UUID) -> list[uuid.UUID]:
        """The listed bonds the maker holds or has held (its account in them exists)."""
        async with UnitOfWork(self._database, write=False) as uow:
            balances = await LedgerService(uow.session).balances(maker_id)
            held = {balance.asset for balance in balances}
            instruments = InstrumentService(uow.session)
            found: list[uuid.UUID] = []
            cursor: str | None = None
            while True:
                page, cursor = await instruments.search(
                    None,
                    limit=100,
                    cursor=cursor,
                    status=InstrumentStatus.LISTED,
                    issuer_id=None,
                    query=None,
                )
                found.extend(instrument.id for instrument in page if instrument.isin in held)
                if cursor is None:
                    return found

    async def _book(self, instrument_id: uuid.UUID, traders: _Traders) -> _Book:
        async with UnitOfWork(self._database, write=False) as uow:
            session = uow.session
            instrument = await InstrumentService(session).get(None, instrument_id)
            market = await market_of(session, instrument)
            rows, _ = await OrderService(session).orders(
                traders.maker.user_id,
                limit=MAX_RESTING,
                cursor=None,
                instrument_id=instrument_id,
                open_only=True,
            )
            rows = [row for row in rows if row.client_order_id.startswith(ORDER_PREFIX)]
            ledger = LedgerService(session)

            async def available(trader: Principal, asset: str) -> int:
                owner = Owner.user(trader.user_id)
                return await ledger.balance(AccountKey(owner, asset, Bucket.AVAILABLE))

            return _Book(
                market=market,
                face_value=instrument.face_value,
                min_lot=instrument.min_lot,
                lot_increment=instrument.lot_increment,
                credit_rating=instrument.credit_rating,
                resting=[_resting(row) for row in rows],
                maker_units=await available(traders.maker, market.isin)
                + _reserved(rows, OrderSide.SELL),
                maker_cash=await available(traders.maker, market.currency)
                + _reserved(rows, OrderSide.BUY),
                flow_units=await available(traders.flow, market.isin),
                flow_cash=await available(traders.flow, market.currency),
            )

    async def _tend(self, book: _Book, traders: _Traders) -> None:
        market = book.market
        today = trade_date()
        settles = market.settlement_date(today)
        writer = await self._trading.writer(market)
        years = (market.terms.maturity - settles).days / 365.25
        state_loan = is_state_loan(market.isin)
        fair = fair_ticks(
            market.terms,
            settles,
            fair_yield(book.credit_rating, years, state_loan=state_loan),
            market.tick_size,
        )
        reference = reference_ticks(writer.book.last_price, fair)
        ladder = ladder_for(
            reference,
            book.face_value,
            book.min_lot,
            book.lot_increment,
            sovereign=rating_grade(book.credit_rating) == _SOVEREIGN,
        )
        # What one unit can cost at the dearest price quoted here, reservation included.
        dearest = reference + ladder.half_spread_ticks * 2 + ladder.levels * ladder.step_ticks
        unit_cost = market.buy_reservation(1, dearest, today) + 1
        target = units_worth(MAKER_STOCK, book.face_value, book.min_lot, book.lot_increment)
        maker = Inventory(book.maker_units, book.maker_cash // unit_cost, target)
        desired = quotes(reference, ladder, maker)
        cancel, place = requotes(desired, book.resting)
        tickets = await self._prepare(traders.maker, market, place, OrderTif.GTC)
        # One batch, cancels first: the book goes from the old quotes to the new in one commit.
        await self._settle(
            market.isin,
            [
                *(writer.cancel(traders.maker.user_id, order_id) for order_id in cancel),
                *(writer.submit(ticket) for ticket in tickets),
            ],
        )
        if self._rng.random() < CROSS_PROBABILITY:
            flow = Inventory(book.flow_units, book.flow_cash // unit_cost)
            order = crossing_order(desired, ladder, flow, buy=self._rng.random() < 0.5)
            if order is not None:
                tickets = await self._prepare(traders.flow, market, [order], OrderTif.IOC)
                await self._settle(market.isin, [writer.submit(ticket) for ticket in tickets])

    async def _prepare(
        self, trader: Principal, market: Market, orders: Sequence[Quote], tif: OrderTif
    ) -> list[OrderTicket]:
        """Run the order API's pre-trade checks on limit orders, in one committed unit of
        work; a refused order is logged and left out."""
        if not orders:
            return []
        tickets = []
        async with UnitOfWork(self._database) as uow:
            checks = PreTradeChecks(uow.session, self._settings)
            for quote in orders:
                request = OrderCreate(
                    instrument_id=market.instrument_id,
                    client_order_id=f"{ORDER_PREFIX}{uuid.uuid4().hex}",
                    side=quote.side,
                    time_in_force=tif,
                    price=market.clean_price(quote.price_ticks),
                    quantity=quote.quantity,
                )
                try:
                    ticket, _ = await checks.prepare(trader, request)
                except Problem as problem:
                    self._refused(market.isin, problem)
                    continue
                tickets.append(ticket)
            await uow.commit()  # as the order API does: no lock held while the writer persists
        return tickets

    async def _settle(self, isin: str, commands: Sequence[Awaitable[OrderRecord]]) -> None:
        """Send commands to a book together, so they share its group commit; log what failed."""
        if not commands:
            return
        for outcome in await asyncio.gather(*commands, return_exceptions=True):
            if isinstance(outcome, Problem):
                self._refused(isin, outcome)
            elif isinstance(outcome, BaseException):
                log.error("demo.liquidity_command_failed", instrument=isin, exc_info=outcome)

    def _refused(self, book: str, problem: Problem) -> None:
        self._note("demo.liquidity_refused", book, problem.code, problem.detail)

    def _note(self, event: str, book: str, code: str, detail: str) -> None:
        """Log why a book was left alone: at warning the first time, at debug after that."""
        first = (book, code) not in self._seen
        self._seen.add((book, code))
        report = log.warning if first else log.debug
        report(event, book=book, code=code, detail=detail)


def _resting(row: Order) -> Resting:
    return Resting(row.id, OrderSide(row.side), row.price_ticks, row.leaves_quantity)


def _reserved(rows: Sequence[Order], side: OrderSide) -> int:
    """What the maker's open orders on one side of a book still hold in the ledger."""
    return sum(row.reserved for row in rows if row.side == side.value)

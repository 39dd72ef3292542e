"""Trading HTTP API: order entry (place one or a batch, list, read, replace and cancel
orders, cancel all; my trades; the admins' kill switch) and the public market data of each
instrument (book, tape, candles, ticker).

A placed or cancelled order is answered only after its book's writer committed it (see
:mod:`liquibond.trading.runner`). The request's own transaction only reads (the pre-trade
checks; :func:`~liquibond.platform.routing.hands_off_writes`) and ends before the command
goes to the writer, so on SQLite it neither takes nor waits for the write lock the writer
needs; `Idempotency-Key` is stored after, as for every POST.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status
from pydantic import AwareDatetime
from sqlalchemy.ext.asyncio import AsyncSession

from liquibond.identity.deps import CurrentPrincipal, require_role
from liquibond.identity.models import Role
from liquibond.platform.audit import record_audit
from liquibond.platform.errors import Problem
from liquibond.platform.routing import Session, TransactionalRoute, Uow, hands_off_writes
from liquibond.platform.schemas import Page, PageCursor, PageLimit
from liquibond.trading.market_data import MAX_DEPTH, CandleWindow, MarketData
from liquibond.trading.models import OrderSide, OrderState
from liquibond.trading.runner import OrderRecord, Trading
from liquibond.trading.runtime import lifespan
from liquibond.trading.schemas import (
    BatchItem,
    BatchOut,
    CancelAllOut,
    CancelAllRequest,
    CandleInterval,
    CandlesOut,
    OrderBatch,
    OrderBookOut,
    OrderCreate,
    OrderOut,
    OrderReplace,
    PublicTradeOut,
    TickerOut,
    TradeOut,
    TradingLimitsOut,
    TradingLimitsSet,
)
from liquibond.trading.service import (
    LimitsAdmin,
    Market,
    OrderService,
    OrderTicket,
    PreTradeChecks,
)

orders = APIRouter(
    prefix="/api/v1", tags=["trading"], route_class=TransactionalRoute, lifespan=lifespan
)
# Public: anyone may read the market of an instrument that is, or was, listed.
market_data = APIRouter(
    prefix="/api/v1/instruments", tags=["market"], route_class=TransactionalRoute
)
market = APIRouter(prefix="/api/v1/market", tags=["market"], route_class=TransactionalRoute)


CreatedFrom = Annotated[
    AwareDatetime | None, Query(alias="from", description="Created at or after (inclusive)")
]
CreatedTo = Annotated[AwareDatetime | None, Query(description="Created before (exclusive)")]


def _trading(request: Request) -> Trading:
    trading: Trading = request.app.state.trading
    return trading


def _checks(uow_session: AsyncSession, request: Request) -> PreTradeChecks:
    return PreTradeChecks(uow_session, request.app.state.settings)


@orders.post("/orders", status_code=status.HTTP_201_CREATED)
@hands_off_writes
async def place_order(
    body: OrderCreate, principal: CurrentPrincipal, uow: Uow, request: Request
) -> OrderOut:
    """Place an order (KYC verified users); answered once the order is committed, with
    whatever it traded on arrival."""
    ticket, market = await _checks(uow.session, request).prepare(principal, body)
    await uow.commit()  # end the request's reads before the writer persists
    writer = await _trading(request).writer(market)
    return OrderOut.model_validate(await writer.submit(ticket))


@orders.post("/orders/batch")
@hands_off_writes
async def place_orders(
    body: OrderBatch, principal: CurrentPrincipal, uow: Uow, request: Request
) -> BatchOut:
    """Place up to 1,000 orders, each on its own: the results say, per order, what a single
    `POST /orders` would have answered. Orders of one book are committed together."""
    checks = _checks(uow.session, request)
    await checks.look_up_client_order_ids(principal.user_id, body.orders)
    prepared: list[tuple[OrderTicket, Market] | Problem] = []
    for order in body.orders:
        try:
            prepared.append(await checks.prepare(principal, order))
        except Problem as problem:
            prepared.append(problem)
    await uow.commit()  # end the request's reads before the writers persist
    trading = _trading(request)

    async def place(item: tuple[OrderTicket, Market] | Problem) -> OrderRecord | Problem:
        if isinstance(item, Problem):
            return item
        ticket, market = item
        try:
            return await (await trading.writer(market)).submit(ticket)
        except Problem as problem:
            return problem

    outcomes = await asyncio.gather(*(place(item) for item in prepared))
    return BatchOut(
        results=[
            BatchItem(index=index, status=outcome.status, problem=outcome.to_body())
            if isinstance(outcome, Problem)
            else BatchItem(index=index, status=201, order=OrderOut.model_validate(outcome))
            for index, outcome in enumerate(outcomes)
        ]
    )


@orders.post("/orders/cancel-all")
@hands_off_writes
async def cancel_all_orders(
    body: CancelAllRequest, principal: CurrentPrincipal, uow: Uow, request: Request
) -> CancelAllOut:
    """Cancel all my open orders (of one instrument, when given); what they reserved is
    released."""
    service = OrderService(uow.session)
    markets = [
        await service.market(instrument_id)
        for instrument_id in await service.open_instruments(principal.user_id, body.instrument_id)
    ]
    await uow.commit()  # end the request's reads before the writers persist
    trading = _trading(request)
    cancelled = await asyncio.gather(
        *[(await trading.writer(market)).cancel_all(principal.user_id) for market in markets]
    )
    return CancelAllOut(cancelled=[order.id for orders in cancelled for order in orders])


@orders.post(
    "/instruments/{instrument_id}/orders/cancel-all",
    dependencies=[Depends(require_role(Role.ADMIN))],
)
async def kill_switch(
    instrument_id: uuid.UUID, principal: CurrentPrincipal, uow: Uow, request: Request
) -> CancelAllOut:
    """Kill switch (admins): cancel every open order in the instrument's book."""
    market = await OrderService(uow.session).market(instrument_id)
    await record_audit(
        uow.session,
        actor_id=principal.user_id,
        action="trading.kill_switch",
        target=f"instrument:{instrument_id}",
    )
    await uow.commit()
    cancelled = await (await _trading(request).writer(market)).cancel_all(None)
    return CancelAllOut(cancelled=[order.id for order in cancelled])


@orders.get("/trading-limits")
async def my_trading_limits(
    principal: CurrentPrincipal, session: Session, request: Request
) -> TradingLimitsOut:
    """The pre-trade limits my orders are checked against."""
    return await LimitsAdmin(session, request.app.state.settings).view(principal.user_id)


@orders.get(
    "/admin/trading-limits/{user_id}",
    dependencies=[Depends(require_role(Role.ADMIN, Role.COMPLIANCE))],
)
async def get_trading_limits(
    user_id: uuid.UUID, session: Session, request: Request
) -> TradingLimitsOut:
    """A user's own limits and those in force (admins and compliance)."""
    return await LimitsAdmin(session, request.app.state.settings).view(user_id)


@orders.put("/admin/trading-limits/{user_id}", dependencies=[Depends(require_role(Role.ADMIN))])
async def set_trading_limits(
    user_id: uuid.UUID,
    body: TradingLimitsSet,
    principal: CurrentPrincipal,
    session: Session,
    request: Request,
) -> TradingLimitsOut:
    """Set a user's own pre-trade limits, replacing the venue's where given (admins); an
    empty body gives the user the venue's limits again."""
    out = await LimitsAdmin(session, request.app.state.settings).set(principal, user_id, body)
    await record_audit(
        session,
        actor_id=principal.user_id,
        action="trading.limits_set",
        target=f"user:{user_id}",
        payload=body.model_dump(mode="json"),
    )
    return out


@orders.get("/orders")
async def list_orders(
    principal: CurrentPrincipal,
    session: Session,
    limit: PageLimit = 50,
    cursor: PageCursor = None,
    instrument_id: Annotated[uuid.UUID | None, Query()] = None,
    status_: Annotated[OrderState | None, Query(alias="status")] = None,
    side: Annotated[OrderSide | None, Query()] = None,
    open_only: Annotated[bool, Query(alias="open", description="Only resting orders")] = False,
    from_: CreatedFrom = None,
    to: CreatedTo = None,
) -> Page[OrderOut]:
    """My orders, newest first."""
    rows, next_cursor = await OrderService(session).orders(
        principal.user_id,
        limit=limit,
        cursor=cursor,
        instrument_id=instrument_id,
        status=status_,
        side=side,
        open_only=open_only,
        period=(from_, to),
    )
    return Page[OrderOut](items=[OrderOut.model_validate(r) for r in rows], next_cursor=next_cursor)


@orders.get("/orders/{order_id}")
async def get_order(order_id: uuid.UUID, principal: CurrentPrincipal, session: Session) -> OrderOut:
    """One of my orders."""
    return OrderOut.model_validate(await OrderService(session).order(principal.user_id, order_id))


@orders.patch("/orders/{order_id}")
@hands_off_writes
async def replace_order(
    order_id: uuid.UUID,
    body: OrderReplace,
    principal: CurrentPrincipal,
    uow: Uow,
    request: Request,
) -> OrderOut:
    """Replace one of my resting limit orders: a lower quantity keeps its place in the queue,
    a new price or a higher quantity sends it to the back (and it may trade)."""
    ticket, market = await _checks(uow.session, request).prepare_replace(principal, order_id, body)
    await uow.commit()  # end the request's reads before the writer persists
    writer = await _trading(request).writer(market)
    return OrderOut.model_validate(await writer.replace(ticket))


@orders.delete("/orders/{order_id}")
@hands_off_writes
async def cancel_order(
    order_id: uuid.UUID, principal: CurrentPrincipal, uow: Uow, request: Request
) -> OrderOut:
    """Cancel one of my open orders; what it still reserved is released."""
    service = OrderService(uow.session)
    market = await service.market((await service.order(principal.user_id, order_id)).instrument_id)
    await uow.commit()  # end the request's reads before the writer persists
    writer = await _trading(request).writer(market)
    return OrderOut.model_validate(await writer.cancel(principal.user_id, order_id))


@orders.get("/trades")
async def list_trades(
    principal: CurrentPrincipal,
    session: Session,
    limit: PageLimit = 50,
    cursor: PageCursor = None,
    instrument_id: Annotated[uuid.UUID | None, Query()] = None,
    side: Annotated[OrderSide | None, Query(description="Only my buys or my sells")] = None,
    from_: CreatedFrom = None,
    to: CreatedTo = None,
) -> Page[TradeOut]:
    """My fills, newest first."""
    items, next_cursor = await OrderService(session).trades(
        principal.user_id,
        limit=limit,
        cursor=cursor,
        instrument_id=instrument_id,
        side=side,
        period=(from_, to),
    )
    return Page[TradeOut](items=items, next_cursor=next_cursor)


@market_data.get("/{instrument_id}/book")
async def get_book(
    instrument_id: uuid.UUID,
    session: Session,
    request: Request,
    depth: Annotated[int, Query(ge=1, le=MAX_DEPTH, description="Price levels per side")] = 10,
) -> OrderBookOut:
    """The order book (L2): each price level's quantity and number of orders, best first."""
    return await MarketData(session, _trading(request)).book(instrument_id, depth)


@market_data.get("/{instrument_id}/trades")
async def get_tape(
    instrument_id: uuid.UUID,
    session: Session,
    request: Request,
    limit: PageLimit = 50,
    cursor: PageCursor = None,
) -> Page[PublicTradeOut]:
    """The public tape: every trade, newest first, without who traded."""
    items, next_cursor = await MarketData(session, _trading(request)).trades(
        instrument_id, limit=limit, cursor=cursor
    )
    return Page[PublicTradeOut](items=items, next_cursor=next_cursor)


@market_data.get("/{instrument_id}/candles")
async def get_candles(
    instrument_id: uuid.UUID,
    session: Session,
    request: Request,
    interval: Annotated[CandleInterval, Query()],
    from_: Annotated[
        AwareDatetime | None, Query(alias="from", description="Default: 100 intervals before `to`")
    ] = None,
    to: Annotated[AwareDatetime | None, Query(description="Exclusive; default: now")] = None,
) -> CandlesOut:
    """OHLCV candles of the intervals with trades, oldest first; at most 1,000 intervals.

    Intervals are aligned on Indian market time: a `1d` candle is one trade date.
    """
    window = CandleWindow.of(interval, from_, to)
    return await MarketData(session, _trading(request)).candles(instrument_id, window)


@market_data.get("/{instrument_id}/ticker")
async def get_ticker(instrument_id: uuid.UUID, session: Session, request: Request) -> TickerOut:
    """Last price, the last 24 hours' change and volume, best bid and ask, yield at last."""
    return await MarketData(session, _trading(request)).ticker(instrument_id)


@market.get("/tickers")
async def get_tickers(
    session: Session,
    request: Request,
    instrument_id: Annotated[
        list[uuid.UUID] | None,
        Query(max_length=200, description="Only these instruments (default: every one listed)"),
    ] = None,
) -> list[TickerOut]:
    """The tickers of many instruments in one call (a markets screen), in ISIN order."""
    return await MarketData(session, _trading(request)).tickers(instrument_id or ())


routers = [orders, market_data, market]

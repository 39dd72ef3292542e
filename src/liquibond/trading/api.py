"""Trading HTTP API: order entry (place, list, read and cancel orders; my trades) and the
public market data of each instrument (book, tape, candles, ticker).

A placed or cancelled order is answered only after its book's writer committed it (see
:mod:`liquibond.trading.runner`). The request's own transaction runs the read-only checks
and is committed before the command goes to the writer, so it holds no write lock (SQLite)
while the writer persists; `Idempotency-Key` is stored after, as for every POST.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from pydantic import AwareDatetime

from liquibond.identity.deps import CurrentPrincipal
from liquibond.platform.routing import Session, TransactionalRoute, Uow
from liquibond.platform.schemas import Page, PageCursor, PageLimit
from liquibond.trading.market_data import MAX_DEPTH, CandleWindow, MarketData
from liquibond.trading.models import OrderSide, OrderState
from liquibond.trading.runner import Trading
from liquibond.trading.runtime import lifespan
from liquibond.trading.schemas import (
    CandleInterval,
    CandlesOut,
    OrderBookOut,
    OrderCreate,
    OrderOut,
    PublicTradeOut,
    TickerOut,
    TradeOut,
)
from liquibond.trading.service import OrderService

orders = APIRouter(
    prefix="/api/v1", tags=["trading"], route_class=TransactionalRoute, lifespan=lifespan
)
# Public: anyone may read the market of an instrument that is, or was, listed.
market_data = APIRouter(
    prefix="/api/v1/instruments", tags=["market"], route_class=TransactionalRoute
)


def _trading(request: Request) -> Trading:
    trading: Trading = request.app.state.trading
    return trading


@orders.post("/orders", status_code=status.HTTP_201_CREATED)
async def place_order(
    body: OrderCreate, principal: CurrentPrincipal, uow: Uow, request: Request
) -> OrderOut:
    """Place a limit order (KYC verified users); answered once the order is committed,
    with whatever it traded on arrival."""
    ticket, market = await OrderService(uow.session).prepare(principal, body)
    await uow.commit()  # release the request's write lock before the writer persists
    writer = await _trading(request).writer(market)
    return OrderOut.model_validate(await writer.submit(ticket))


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
    )
    return Page[OrderOut](items=[OrderOut.model_validate(r) for r in rows], next_cursor=next_cursor)


@orders.get("/orders/{order_id}")
async def get_order(order_id: uuid.UUID, principal: CurrentPrincipal, session: Session) -> OrderOut:
    """One of my orders."""
    return OrderOut.model_validate(await OrderService(session).order(principal.user_id, order_id))


@orders.delete("/orders/{order_id}")
async def cancel_order(
    order_id: uuid.UUID, principal: CurrentPrincipal, uow: Uow, request: Request
) -> OrderOut:
    """Cancel one of my open orders; what it still reserved is released."""
    service = OrderService(uow.session)
    market = await service.market((await service.order(principal.user_id, order_id)).instrument_id)
    await uow.commit()  # release the request's write lock before the writer persists
    writer = await _trading(request).writer(market)
    return OrderOut.model_validate(await writer.cancel(principal.user_id, order_id))


@orders.get("/trades")
async def list_trades(
    principal: CurrentPrincipal,
    session: Session,
    limit: PageLimit = 50,
    cursor: PageCursor = None,
    instrument_id: Annotated[uuid.UUID | None, Query()] = None,
) -> Page[TradeOut]:
    """My fills, newest first."""
    items, next_cursor = await OrderService(session).trades(
        principal.user_id, limit=limit, cursor=cursor, instrument_id=instrument_id
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


routers = [orders, market_data]

"""Portfolio HTTP API: my portfolio, holdings, P&L and cash-flow calendar; statements (CSV,
PDF) and contract notes (PDF). Every route reads the caller's own account only; a contract
note of a trade that is not the caller's is 404, like a missing one."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Response

from liquibond.identity.deps import CurrentPrincipal, Identity
from liquibond.identity.service import Principal
from liquibond.platform.routing import Session, TransactionalRoute
from liquibond.portfolio import documents
from liquibond.portfolio.schemas import (
    CashflowsOut,
    HoldingsOut,
    PnlOut,
    PortfolioOut,
    StatementFormat,
)
from liquibond.portfolio.service import (
    DEFAULT_CASHFLOW_DAYS,
    MAX_CASHFLOW_DAYS,
    MAX_STATEMENT_DAYS,
    PortfolioService,
    holder_of,
)

portfolio = APIRouter(prefix="/api/v1", tags=["portfolio"], route_class=TransactionalRoute)

_PDF = "application/pdf"
_CSV = "text/csv; charset=utf-8"


async def _holder(principal: Principal, identity: Identity) -> documents.Holder:
    user = await identity.describe(principal.user_id)
    return holder_of(user.id, user.display_name, user.email)


@portfolio.get("/portfolio")
async def get_portfolio(principal: CurrentPrincipal, session: Session) -> PortfolioOut:
    """My portfolio: totals per currency (values, P&L, weighted yield and duration), cash by
    bucket and a summary of each holding, valued at its mark."""
    return await PortfolioService(session).portfolio(principal.user_id)


@portfolio.get("/portfolio/holdings")
async def get_holdings(principal: CurrentPrincipal, session: Session) -> HoldingsOut:
    """Every instrument I hold: units (settled and pending), cost, FIFO lots and figures at
    the mark (last trade, else the reference curve's fair value)."""
    return await PortfolioService(session).holdings(principal.user_id)


@portfolio.get("/portfolio/pnl")
async def get_pnl(principal: CurrentPrincipal, session: Session) -> PnlOut:
    """Realised (FIFO) and unrealised P&L per instrument I hold or held, with fees, accrued
    interest paid and received, coupons and tax withheld."""
    return await PortfolioService(session).pnl(principal.user_id)


@portfolio.get("/portfolio/cashflows")
async def get_cashflows(
    principal: CurrentPrincipal,
    session: Session,
    until: Annotated[
        date | None,
        Query(
            description=f"Last payment date shown (default: {DEFAULT_CASHFLOW_DAYS} days "
            f"ahead; at most {MAX_CASHFLOW_DAYS})"
        ),
    ] = None,
) -> CashflowsOut:
    """Upcoming coupons and redemptions of my holdings: record, ex and (business-day
    adjusted) payment dates, and the amounts expected for the units I hold now."""
    return await PortfolioService(session).cashflows(principal.user_id, until)


@portfolio.get(
    "/portfolio/statements",
    response_class=Response,
    responses={
        200: {
            "description": "The statement file",
            "content": {_CSV: {}, _PDF: {}},
        }
    },
)
async def get_statement(
    principal: CurrentPrincipal,
    session: Session,
    identity: Identity,
    from_: Annotated[
        date,
        Query(
            alias="from",
            description=f"First market date (at most {MAX_STATEMENT_DAYS} days before `to`)",
        ),
    ],
    to: Annotated[date, Query(description="Last market date (not after today)")],
    format_: Annotated[StatementFormat, Query(alias="format")] = StatementFormat.PDF,
) -> Response:
    """My statement of a period of at most a year (366 days): opening and closing positions, trades,
    coupons and redemptions with tax withheld, fees and cash movements."""
    statement = await PortfolioService(session).statement(
        principal.user_id, await _holder(principal, identity), from_, to
    )
    name = f"liquibond-statement-{from_.isoformat()}-{to.isoformat()}.{format_.value}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if format_ is StatementFormat.CSV:
        return Response(documents.statement_csv(statement), media_type=_CSV, headers=headers)
    return Response(documents.statement_pdf(statement), media_type=_PDF, headers=headers)


@portfolio.get(
    "/trades/{trade_id}/contract-note",
    response_class=Response,
    responses={200: {"description": "The contract note", "content": {_PDF: {}}}},
)
async def get_contract_note(
    trade_id: uuid.UUID, principal: CurrentPrincipal, session: Session, identity: Identity
) -> Response:
    """The contract note (PDF) of one of my trades."""
    note = await PortfolioService(session).contract_note(
        principal.user_id, await _holder(principal, identity), trade_id
    )
    return Response(
        documents.contract_note_pdf(note),
        media_type=_PDF,
        headers={"Content-Disposition": f'attachment; filename="{note.number}.pdf"'},
    )


routers = [portfolio]

"""Ledger HTTP API: my balances and my journal."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from liquibond.identity.deps import CurrentPrincipal
from liquibond.ledger.schemas import BalanceOut, StatementLineOut
from liquibond.ledger.service import LedgerService
from liquibond.platform.routing import Session, TransactionalRoute
from liquibond.platform.schemas import Page, PageCursor, PageLimit

accounts = APIRouter(prefix="/api/v1/accounts", tags=["accounts"], route_class=TransactionalRoute)


@accounts.get("")
async def my_balances(principal: CurrentPrincipal, session: Session) -> list[BalanceOut]:
    """My balances by asset and bucket (available, locked, escrow, pending withdrawal)."""
    balances = await LedgerService(session).balances(principal.user_id)
    return [BalanceOut.model_validate(b) for b in balances]


@accounts.get("/entries")
async def my_entries(
    principal: CurrentPrincipal,
    session: Session,
    limit: PageLimit = 50,
    cursor: PageCursor = None,
    asset: Annotated[str | None, Query(max_length=16)] = None,
) -> Page[StatementLineOut]:
    """My journal: every posting on my accounts, newest first."""
    lines, next_cursor = await LedgerService(session).statement(
        principal.user_id, limit=limit, cursor=cursor, asset=asset
    )
    return Page[StatementLineOut](
        items=[StatementLineOut.model_validate(line) for line in lines], next_cursor=next_cursor
    )


routers = [accounts]

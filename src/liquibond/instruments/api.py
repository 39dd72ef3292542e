"""Instrument HTTP API: reference data for everyone, drafting for issuers, listing for admins."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from liquibond.identity.deps import CurrentPrincipal, optional_principal
from liquibond.identity.service import Principal
from liquibond.instruments.lifecycle import InstrumentAction
from liquibond.instruments.models import InstrumentStatus
from liquibond.instruments.schemas import (
    HoldersOut,
    InstrumentCreate,
    InstrumentOut,
    InstrumentUpdate,
    StatusChange,
)
from liquibond.instruments.service import InstrumentService, to_out
from liquibond.platform.routing import Session, TransactionalRoute
from liquibond.platform.schemas import Page, PageCursor, PageLimit

instruments = APIRouter(
    prefix="/api/v1/instruments", tags=["instruments"], route_class=TransactionalRoute
)
Viewer = Annotated[Principal | None, Depends(optional_principal)]


@instruments.get("")
async def list_instruments(
    viewer: Viewer,
    session: Session,
    limit: PageLimit = 50,
    cursor: PageCursor = None,
    status_: Annotated[InstrumentStatus | None, Query(alias="status")] = None,
    issuer_id: uuid.UUID | None = None,
    q: Annotated[str | None, Query(max_length=100, description="ISIN prefix or name words")] = None,
) -> Page[InstrumentOut]:
    """Listed instruments for everyone; issuers also see their drafts, admins everything."""
    rows, next_cursor = await InstrumentService(session).search(
        viewer, limit=limit, cursor=cursor, status=status_, issuer_id=issuer_id, query=q
    )
    return Page[InstrumentOut](items=[to_out(row) for row in rows], next_cursor=next_cursor)


@instruments.post("", status_code=status.HTTP_201_CREATED)
async def draft_instrument(
    body: InstrumentCreate, principal: CurrentPrincipal, session: Session
) -> InstrumentOut:
    """Draft a bond (issuers). It is private until an admin approves it."""
    return to_out(await InstrumentService(session).draft(principal, body))


@instruments.get("/{instrument_id}")
async def get_instrument(
    instrument_id: uuid.UUID, viewer: Viewer, session: Session
) -> InstrumentOut:
    """One instrument's terms and status."""
    return to_out(await InstrumentService(session).get(viewer, instrument_id))


@instruments.get("/{instrument_id}/holders")
async def get_holders(
    instrument_id: uuid.UUID, principal: CurrentPrincipal, session: Session
) -> HoldersOut:
    """The bond's register of holders, largest first (its issuer, admins and compliance)."""
    return await InstrumentService(session).holders(principal, instrument_id)


@instruments.patch("/{instrument_id}")
async def update_instrument(
    instrument_id: uuid.UUID, body: InstrumentUpdate, principal: CurrentPrincipal, session: Session
) -> InstrumentOut:
    """Edit a draft, or (admins) a listed bond's market parameters."""
    return to_out(await InstrumentService(session).update(principal, instrument_id, body))


def _lifecycle_route(action: InstrumentAction, summary: str) -> None:
    async def take_action(
        instrument_id: uuid.UUID,
        principal: CurrentPrincipal,
        session: Session,
        body: StatusChange | None = None,
    ) -> InstrumentOut:
        reason = body.reason if body else None
        return to_out(
            await InstrumentService(session).act(principal, instrument_id, action, reason)
        )

    take_action.__doc__ = summary
    instruments.add_api_route(
        f"/{{instrument_id}}/{action.value}",
        take_action,
        methods=["POST"],
        name=f"{action.value}_instrument",
        summary=summary,
    )


for _action, _summary in (
    (InstrumentAction.SUBMIT, "Submit a draft for approval (its issuer)"),
    (InstrumentAction.APPROVE, "Approve and list: mints the issue to the issuer (admins)"),
    (InstrumentAction.REJECT, "Send a submission back to draft with a reason (admins)"),
    (InstrumentAction.SUSPEND, "Halt trading with a reason (admins)"),
    (InstrumentAction.RESUME, "Resume trading (admins)"),
    (InstrumentAction.DELIST, "Delist with a reason (admins)"),
):
    _lifecycle_route(_action, _summary)

routers = [instruments]

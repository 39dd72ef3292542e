"""Corporate actions HTTP API: issuers and admins list and announce events; an event's
entitlements and payments (holders see their own); admins run an event now."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status

from liquibond.corporate_actions.models import CorporateAction, Entitlement
from liquibond.corporate_actions.rules import ActionKind, ActionStatus
from liquibond.corporate_actions.runtime import lifespan, register
from liquibond.corporate_actions.schemas import (
    ActionCreate,
    ActionDetail,
    ActionOut,
    EntitlementOut,
    PaymentOut,
)
from liquibond.corporate_actions.service import CorporateActionService, Policy
from liquibond.identity.deps import CurrentPrincipal, require_role
from liquibond.identity.models import Role
from liquibond.identity.service import Principal
from liquibond.platform.audit import record_audit
from liquibond.platform.routing import Session, TransactionalRoute
from liquibond.platform.schemas import Page, PageCursor, PageLimit
from liquibond.valuation.service import trade_date

corporate_actions = APIRouter(
    prefix="/api/v1/corporate-actions",
    tags=["corporate actions"],
    route_class=TransactionalRoute,
    lifespan=lifespan,
)
IssuerOrAdmin = Annotated[Principal, Depends(require_role(Role.ISSUER, Role.ADMIN))]
Admin = Annotated[Principal, Depends(require_role(Role.ADMIN))]


def _policy(request: Request) -> Policy:
    return Policy.from_settings(request.app.state.settings)


def _detail(action: CorporateAction, entitlements: list[Entitlement]) -> ActionDetail:
    return ActionDetail.model_validate(
        {
            **ActionOut.model_validate(action).model_dump(),
            "entitlements": [EntitlementOut.model_validate(e) for e in entitlements],
            "payments": [PaymentOut.model_validate(e) for e in entitlements if e.paid_at],
        }
    )


@corporate_actions.get("")
async def list_corporate_actions(
    principal: IssuerOrAdmin,
    session: Session,
    limit: PageLimit = 50,
    cursor: PageCursor = None,
    instrument_id: Annotated[uuid.UUID | None, Query()] = None,
    status_: Annotated[ActionStatus | None, Query(alias="status")] = None,
    kind: Annotated[ActionKind | None, Query()] = None,
    paid_from: Annotated[
        date | None, Query(alias="from", description="Payment date on or after")
    ] = None,
    paid_until: Annotated[
        date | None, Query(alias="to", description="Payment date on or before")
    ] = None,
) -> Page[ActionOut]:
    """Corporate actions of my instruments (admins: all), by payment date."""
    rows, next_cursor = await CorporateActionService(session).search(
        principal,
        limit=limit,
        cursor=cursor,
        instrument_id=instrument_id,
        status=status_,
        kind=kind,
        paid_from=paid_from,
        paid_until=paid_until,
    )
    return Page[ActionOut](
        items=[ActionOut.model_validate(r) for r in rows], next_cursor=next_cursor
    )


@corporate_actions.post("", status_code=status.HTTP_201_CREATED)
async def announce_corporate_action(
    body: ActionCreate, principal: IssuerOrAdmin, session: Session, request: Request
) -> ActionOut:
    """Announce a scheduled coupon or redemption ahead of the schedule, or a call: an early
    redemption of the whole issue, with notice, which cancels what falls due after it."""
    action = await CorporateActionService(session).announce(
        principal, body, _policy(request), trade_date()
    )
    return ActionOut.model_validate(action)


@corporate_actions.get("/{action_id}")
async def get_corporate_action(
    action_id: uuid.UUID, principal: CurrentPrincipal, session: Session
) -> ActionDetail:
    """A corporate action with its entitlements and payments: all of them for the issuer and
    admins, a holder's own for anybody else."""
    return _detail(*await CorporateActionService(session).view(principal, action_id))


@corporate_actions.post("/{action_id}/run")
async def run_corporate_action(
    action_id: uuid.UUID, principal: Admin, session: Session, request: Request
) -> ActionDetail:
    """Do now whatever is due today for the event (admins); running it again changes
    nothing more, so nobody is ever paid twice. A `held` event (its register on chain
    disagreed with the ledger's) has its registers compared again, once reconciled."""
    service = CorporateActionService(session, register(request.app))
    await service.run(action_id, trade_date(), principal, _policy(request))
    await record_audit(
        session,
        actor_id=principal.user_id,
        action="corporate_action.run",
        target=f"corporate_action:{action_id}",
    )
    return _detail(*await service.view(principal, action_id))


routers = [corporate_actions]

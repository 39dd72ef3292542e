"""RFQ HTTP API: requesters ask dealers for a price and take one; dealers quote, update,
withdraw and take their last look; compliance sees every RFQ, its trail and sets limits.

An acceptance that trades is answered after the book's writer committed the trade and the
RFQ's outcome together (see :mod:`liquibond.rfq.service`): the request's own transaction
only reads, and is committed before the trade goes to the writer.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status

from liquibond.identity.deps import CurrentPrincipal, require_role
from liquibond.identity.models import Role
from liquibond.identity.service import Principal
from liquibond.platform.audit import record_audit
from liquibond.platform.db import utcnow
from liquibond.platform.routing import Session, TransactionalRoute, Uow
from liquibond.platform.schemas import Page, PageCursor, PageLimit
from liquibond.platform.uow import UnitOfWork
from liquibond.rfq.lifecycle import RfqStatus
from liquibond.rfq.runtime import lifespan
from liquibond.rfq.schemas import (
    CounterCreate,
    DealerOut,
    LastLookDecision,
    LimitOut,
    LimitSet,
    QuoteCreate,
    RfqAccept,
    RfqCreate,
    RfqEventOut,
    RfqOut,
    RfqRole,
)
from liquibond.rfq.service import RfqService
from liquibond.trading.runner import OffBookTrade, Trading
from liquibond.trading.service import Market

rfqs = APIRouter(
    prefix="/api/v1/rfqs", tags=["rfq"], route_class=TransactionalRoute, lifespan=lifespan
)
Dealer = Annotated[Principal, Depends(require_role(Role.DEALER))]
Compliance = Annotated[Principal, Depends(require_role(Role.COMPLIANCE, Role.ADMIN))]


def _service(session: Session, request: Request) -> RfqService:
    return RfqService(session, request.app.state.settings)


Service = Annotated[RfqService, Depends(_service)]


async def _view(service: RfqService, principal: Principal, rfq_id: uuid.UUID) -> RfqOut:
    [out] = await service.views(principal, [await service.get(principal, rfq_id)])
    return out


async def _execute(
    deal: tuple[OffBookTrade, Market] | None,
    uow: UnitOfWork,
    request: Request,
) -> None:
    """Send an accepted quote's trade to its book's writer, once the request's own
    transaction (which only read) is committed; nothing to do for a hold or a rejection."""
    if deal is None:
        return
    trade, market = deal
    await uow.commit()  # release the request's write lock before the writer persists
    trading: Trading = request.app.state.trading
    try:
        await (await trading.writer(market)).off_book(trade)
    finally:
        uow.session.expire_all()  # the writer changed the RFQ in its own transaction
        await uow.begin()  # the view is read, then the Idempotency-Key stored, in it


@rfqs.get("/dealers")
async def list_dealers(principal: CurrentPrincipal, service: Service) -> list[DealerOut]:
    """The dealers I may ask, with their response rate, hit rate and mean response time."""
    return await service.dealers(principal)


@rfqs.get("/limits")
async def list_limits(_: Compliance, service: Service) -> list[LimitOut]:
    """Every RFQ limit set for a requester, dealer or instrument (compliance and admins)."""
    return await service.limits()


@rfqs.put("/limits")
async def set_limit(
    body: LimitSet, principal: Compliance, service: Service, session: Session
) -> LimitOut:
    """Set one requester's, dealer's or instrument's RFQ limits; both None removes them."""
    out = await service.set_limit(principal, body, utcnow())
    await record_audit(
        session,
        actor_id=principal.user_id,
        action="rfq.limit_set",
        target=f"{body.scope.value}:{body.subject_id}",
        payload=body.model_dump(mode="json"),
    )
    return out


@rfqs.post("", status_code=status.HTTP_201_CREATED)
async def request_quotes(body: RfqCreate, principal: CurrentPrincipal, service: Service) -> RfqOut:
    """Ask chosen dealers (or all) for a price on a size; they answer until it expires."""
    rfq = await service.request(principal, body, utcnow())
    return await _view(service, principal, rfq.id)


@rfqs.get("")
async def list_rfqs(
    principal: CurrentPrincipal,
    service: Service,
    limit: PageLimit = 50,
    cursor: PageCursor = None,
    role: Annotated[
        RfqRole | None,
        Query(description="Only as requester, dealer, or (compliance) every RFQ as observer"),
    ] = None,
    status_: Annotated[RfqStatus | None, Query(alias="status")] = None,
    instrument_id: Annotated[uuid.UUID | None, Query()] = None,
) -> Page[RfqOut]:
    """RFQs I asked for or was asked on, newest first."""
    rows, next_cursor = await service.search(
        principal, limit=limit, cursor=cursor, seat=role, status=status_,
        instrument_id=instrument_id,
    )  # fmt: skip
    return Page[RfqOut](items=await service.views(principal, rows), next_cursor=next_cursor)


@rfqs.get("/{rfq_id}")
async def get_rfq(rfq_id: uuid.UUID, principal: CurrentPrincipal, service: Service) -> RfqOut:
    """One RFQ as I may see it."""
    return await _view(service, principal, rfq_id)


@rfqs.get("/{rfq_id}/events")
async def list_rfq_events(
    rfq_id: uuid.UUID, principal: CurrentPrincipal, service: Service
) -> list[RfqEventOut]:
    """The RFQ's audit trail: every request, quote, counter, hold, decision and outcome."""
    return await service.events(principal, rfq_id)


@rfqs.post("/{rfq_id}/quotes", status_code=status.HTTP_201_CREATED)
async def quote(
    rfq_id: uuid.UUID, body: QuoteCreate, principal: Dealer, service: Service
) -> RfqOut:
    """Quote (dealers asked): firm or indicative, valid for a while, with an optional last
    look; it replaces my live quote."""
    await service.quote(principal, rfq_id, body, utcnow())
    return await _view(service, principal, rfq_id)


@rfqs.delete("/{rfq_id}/quotes/{quote_id}")
async def withdraw_quote(
    rfq_id: uuid.UUID, quote_id: uuid.UUID, principal: Dealer, service: Service
) -> RfqOut:
    """Withdraw my live quote."""
    await service.withdraw(principal, rfq_id, quote_id, utcnow())
    return await _view(service, principal, rfq_id)


@rfqs.post("/{rfq_id}/quotes/{quote_id}/counter")
async def counter_quote(
    rfq_id: uuid.UUID,
    quote_id: uuid.UUID,
    body: CounterCreate,
    principal: CurrentPrincipal,
    service: Service,
) -> RfqOut:
    """Counter a quote with my price (the requester); its dealer may re-quote at it."""
    await service.counter(principal, rfq_id, quote_id, body, utcnow())
    return await _view(service, principal, rfq_id)


@rfqs.post("/{rfq_id}/accept")
async def accept(
    rfq_id: uuid.UUID,
    body: RfqAccept,
    principal: CurrentPrincipal,
    service: Service,
    uow: Uow,
    request: Request,
) -> RfqOut:
    """Hit or lift a firm quote: it trades at once at the quoted price, settled as a book
    trade; a quote with last look is held for its dealer (status `last_look`) first."""
    await _execute(await service.accept(principal, rfq_id, body, utcnow()), uow, request)
    return await _view(service, principal, rfq_id)


@rfqs.post("/{rfq_id}/last-look")
async def last_look(
    rfq_id: uuid.UUID,
    body: LastLookDecision,
    principal: Dealer,
    service: Service,
    uow: Uow,
    request: Request,
) -> RfqOut:
    """Fill or reject my quote held for my last look, before the hold runs out."""
    await _execute(await service.decide(principal, rfq_id, body, utcnow()), uow, request)
    return await _view(service, principal, rfq_id)


@rfqs.post("/{rfq_id}/cancel")
async def cancel(rfq_id: uuid.UUID, principal: CurrentPrincipal, service: Service) -> RfqOut:
    """Cancel my open RFQ."""
    await service.cancel(principal, rfq_id, utcnow())
    return await _view(service, principal, rfq_id)


routers = [rfqs]

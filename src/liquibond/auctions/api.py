"""Auctions HTTP API: the calendar and each auction for everyone once announced; drafting
and the lifecycle for the instrument's issuer and admins; bids for verified investors;
results for everyone once cleared, allocations for each bidder (all for the issuer)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from liquibond.auctions.lifecycle import AuctionStatus, Step
from liquibond.auctions.models import AuctionFormat
from liquibond.auctions.runtime import lifespan
from liquibond.auctions.schemas import (
    AllocationOut,
    AuctionCreate,
    AuctionOut,
    BidAmend,
    BidCreate,
    BidOut,
    ResultsOut,
)
from liquibond.auctions.service import AuctionService
from liquibond.identity.deps import CurrentPrincipal, optional_principal, require_role
from liquibond.identity.models import Role
from liquibond.identity.service import Principal
from liquibond.platform.db import utcnow
from liquibond.platform.routing import Session, TransactionalRoute
from liquibond.platform.schemas import Page, PageCursor, PageLimit

auctions = APIRouter(
    prefix="/api/v1/auctions",
    tags=["auctions"],
    route_class=TransactionalRoute,
    lifespan=lifespan,
)
Viewer = Annotated[Principal | None, Depends(optional_principal)]
IssuerOrAdmin = Annotated[Principal, Depends(require_role(Role.ISSUER, Role.ADMIN))]


@auctions.get("")
async def list_auctions(
    viewer: Viewer,
    session: Session,
    limit: PageLimit = 50,
    cursor: PageCursor = None,
    status_: Annotated[AuctionStatus | None, Query(alias="status")] = None,
    instrument_id: Annotated[uuid.UUID | None, Query()] = None,
    format_: Annotated[AuctionFormat | None, Query(alias="format")] = None,
) -> Page[AuctionOut]:
    """The auction calendar, by opening time: every announced auction; issuers also see
    their drafts, admins everything."""
    service = AuctionService(session)
    rows, next_cursor = await service.search(
        viewer,
        limit=limit,
        cursor=cursor,
        status=status_,
        instrument_id=instrument_id,
        format_=format_,
    )
    return Page[AuctionOut](items=await service.views(rows), next_cursor=next_cursor)


@auctions.post("", status_code=status.HTTP_201_CREATED)
async def create_auction(
    body: AuctionCreate, principal: IssuerOrAdmin, session: Session
) -> AuctionOut:
    """Draft an auction of one of my instruments (admins: any): a re-issue of a listed bond
    bid in price, or a new issue bid in yield. It runs on its schedule once created."""
    service = AuctionService(session)
    auction = await service.create(principal, body, utcnow())
    [out] = await service.views([auction])
    return out


@auctions.get("/{auction_id}")
async def get_auction(auction_id: uuid.UUID, viewer: Viewer, session: Session) -> AuctionOut:
    """One auction: rules, schedule, status, an English auction's best bid, the results."""
    return await AuctionService(session).view(viewer, auction_id)


def _lifecycle_route(step: Step, summary: str) -> None:
    async def take_step(
        auction_id: uuid.UUID, principal: CurrentPrincipal, session: Session
    ) -> AuctionOut:
        service = AuctionService(session)
        auction = await service.act(principal, auction_id, step, utcnow())
        [out] = await service.views([auction])
        return out

    take_step.__doc__ = summary
    auctions.add_api_route(
        f"/{{auction_id}}/{step.value}",
        take_step,
        methods=["POST"],
        name=f"{step.value}_auction",
        summary=summary,
    )


for _step, _summary in (
    (Step.ANNOUNCE, "Make the auction public now (its issuer or an admin)"),
    (Step.OPEN, "Open bidding now"),
    (Step.CLOSE, "Close bidding now (a multi-round auction: the round; the next one opens)"),
    (Step.CLEAR, "Clear the closed auction and publish its results"),
    (Step.SETTLE, "Settle on or after the settlement date: pay the issuer, issue the units"),
    (Step.CANCEL, "Cancel before settlement, releasing every bid's cash"),
):
    _lifecycle_route(_step, _summary)


@auctions.post("/{auction_id}/bids", status_code=status.HTTP_201_CREATED)
async def place_bid(
    auction_id: uuid.UUID, body: BidCreate, principal: CurrentPrincipal, session: Session
) -> BidOut:
    """Bid (KYC-verified investors); the most it can cost is reserved from my cash at once."""
    return await AuctionService(session).place_bid(principal, auction_id, body, utcnow())


@auctions.get("/{auction_id}/bids")
async def list_bids(
    auction_id: uuid.UUID,
    principal: CurrentPrincipal,
    session: Session,
    limit: PageLimit = 50,
    cursor: PageCursor = None,
    mine: Annotated[bool, Query(description="Only my bids")] = False,
) -> Page[BidOut]:
    """The bids I may see, by number: mine; in an open auction everybody's, without their
    bidders; the issuer and admins see all of them once bidding has closed."""
    items, next_cursor = await AuctionService(session).bids(
        principal, auction_id, limit=limit, cursor=cursor, mine=mine
    )
    return Page[BidOut](items=items, next_cursor=next_cursor)


@auctions.patch("/{auction_id}/bids/{bid_id}")
async def amend_bid(
    auction_id: uuid.UUID,
    bid_id: uuid.UUID,
    body: BidAmend,
    principal: CurrentPrincipal,
    session: Session,
) -> BidOut:
    """Change one of my bids while bidding; its reservation grows or shrinks to match."""
    return await AuctionService(session).amend_bid(principal, auction_id, bid_id, body, utcnow())


@auctions.delete("/{auction_id}/bids/{bid_id}")
async def withdraw_bid(
    auction_id: uuid.UUID, bid_id: uuid.UUID, principal: CurrentPrincipal, session: Session
) -> BidOut:
    """Withdraw one of my bids while bidding; its cash is released."""
    return await AuctionService(session).withdraw_bid(principal, auction_id, bid_id, utcnow())


@auctions.get("/{auction_id}/results")
async def get_results(auction_id: uuid.UUID, viewer: Viewer, session: Session) -> ResultsOut:
    """The published results, once cleared: cut-off, weighted average, partial allotment,
    bid-to-cover, totals, a new issue's coupon, each round."""
    return await AuctionService(session).results(viewer, auction_id)


@auctions.get("/{auction_id}/allocations")
async def list_allocations(
    auction_id: uuid.UUID,
    principal: CurrentPrincipal,
    session: Session,
    limit: PageLimit = 50,
    cursor: PageCursor = None,
) -> Page[AllocationOut]:
    """Allocations once cleared: mine (the issuer and admins: every bid's), by bid number."""
    items, next_cursor = await AuctionService(session).allocations(
        principal, auction_id, limit=limit, cursor=cursor
    )
    return Page[AllocationOut](items=items, next_cursor=next_cursor)


routers = [auctions]

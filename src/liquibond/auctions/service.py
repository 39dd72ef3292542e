"""Auction use cases: drafting and scheduling auctions, bidding with reserved cash, clearing
with the pure core and settling in the ledger, exactly once.

**Who does what.** The instrument's issuer (or an admin) drafts an auction and takes its
steps (announce, open, close, clear, settle, cancel); the scheduler takes them when their
time comes (:mod:`.runtime`), as the venue (:data:`VENUE`). KYC-verified investors other
than the issuer bid while it is bidding. An auction is public once announced: its rules,
schedule, status, an English auction's best bid and, once cleared, its results. Bids are
not: in a sealed auction a bidder sees only their own (the issuer and admins see all once
bidding has closed); in an open one everybody sees them without their bidders.

**Cash.** Placing a bid reserves, in the bidder's locked INR, the most it can cost (see
:mod:`.cash`); amending it reserves or releases the difference, withdrawing it releases it
all. The amounts a bid holds are on the bid (`reserved`), so nothing else's locked cash is
ever touched. An English bid that is outbid is released at once.

**Clearing** runs :func:`~liquibond.auctions.clearing.clear` (a multi-round auction:
:func:`~liquibond.auctions.rounds.clear_round`, at each round's close) on the stored bids
and persists the results and an allocation per bid: units, the quote and clean price paid,
and the cash due (principal and accrued interest at the settlement date), never more than
the bid reserved.

**Settlement** is one transaction holding the auction's row: a re-issue grows the bond's
issue size by what was allotted; a new issue is listed with its coupon at the cut-off
yield. Then one ledger entry per cleared bid (reference `auction-bid:{bid}:final`, unique,
so no bid is ever settled twice) moves the amount due from the winner's locked cash to the
issuer, issues the units to the winner from the issuance account and releases the rest of
the reservation (a bid allotted nothing: all of it). Interrupted anywhere, it rolls back
whole; run again, a settled auction is refused.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from typing import Any

import structlog
from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from liquibond.analytics import AnalyticsError
from liquibond.auctions.cash import PAR, AuctionCash
from liquibond.auctions.clearing import (
    AuctionResult,
    AuctionRules,
    Basis,
    Bid,
    BidderId,
    BidId,
    Pricing,
    Rounding,
    clear,
)
from liquibond.auctions.english import (
    EnglishAuction,
    LiveBid,
    Refusal,
    minimum_bid,
    place_bid,
)
from liquibond.auctions.lifecycle import (
    OPEN_STATUSES,
    OPENED_STATUSES,
    RESULT_STATUSES,
    AuctionStatus,
    Step,
    due_step,
    next_status,
)
from liquibond.auctions.models import (
    Auction,
    AuctionAllocation,
    AuctionBid,
    AuctionFormat,
    AuctionRound,
    BidStatus,
    Visibility,
)
from liquibond.auctions.rounds import MultiRoundPlan, Round, clear_round, first_round
from liquibond.auctions.schemas import (
    AllocationOut,
    AuctionCreate,
    AuctionOut,
    BidAmend,
    BidCreate,
    BidOut,
    BondOffered,
    EnglishState,
    ResultsOut,
    RoundOut,
)
from liquibond.identity.models import Role
from liquibond.identity.service import Principal
from liquibond.instruments.models import Instrument, InstrumentStatus
from liquibond.instruments.service import InstrumentService
from liquibond.kyc.service import KycChecks
from liquibond.ledger.entries import ISSUANCE, AccountKey, EntryDraft, Leg, Owner
from liquibond.ledger.models import Bucket
from liquibond.ledger.service import InsufficientFunds, LedgerService
from liquibond.platform.audit import record_audit
from liquibond.platform.db import new_id
from liquibond.platform.errors import (
    Conflict,
    FieldError,
    Forbidden,
    NotFound,
    Unprocessable,
    not_found,
)
from liquibond.platform.outbox import record_event
from liquibond.platform.schemas import as_int, as_str, as_uuid, cursor_value, encode_cursor
from liquibond.valuation.service import MARKET_TIME, instrument_terms

log = structlog.get_logger(__name__)

#: The venue acting on its own schedule (the auctions job), as an admin no user is behind.
VENUE = Principal(uuid.UUID(int=0), frozenset({Role.ADMIN}))

#: What each basis's quote is called in requests.
_QUOTE_FIELD = {Basis.PRICE: "price", Basis.YIELD: "yield_percent"}
_AVERAGE_PLACES = 4
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MILLISECOND = timedelta(milliseconds=1)
#: English: the leading bidder and anybody else, as the pure core tells bidders apart.
_LEADER, _CHALLENGER = BidderId(1), BidderId(2)
#: How far ahead an auction may be scheduled (its close).
MAX_SCHEDULE = timedelta(days=366)
#: At most this many steps are taken in one scheduler pass over one auction.
_MAX_STEPS = len(Step)


def market_date(moment: datetime) -> date:
    """The Indian market date of an instant."""
    return moment.astimezone(MARKET_TIME).date()


def _ms(moment: datetime) -> int:
    """An instant as whole milliseconds since the epoch (the English core's clock)."""
    return (moment - _EPOCH) // _MILLISECOND


def _instant(ms: int) -> datetime:
    return _EPOCH + ms * _MILLISECOND


def _invalid(code: str, detail: str, field: str | None = None, **extra: Any) -> Unprocessable:
    errors = [FieldError(field, detail, code.split(".")[-1])] if field else []
    return Unprocessable(code=code, detail=detail, errors=errors, extra=extra)


def _bid_not_found() -> NotFound:
    return NotFound(code="auction.bid_not_found", detail="No such bid.")


def _not_bidding(auction: Auction) -> Conflict:
    return Conflict(
        code="auction.not_bidding",
        detail=f"The auction is {auction.status}: bids are taken only while it is bidding, "
        f"between {auction.opens_at.isoformat()} and {auction.closes_at.isoformat()}.",
        extra={"auction_status": auction.status},
    )


class AuctionService:
    """Auction use cases over one unit of work's session; never commits."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    # -- drafting and reading ---------------------------------------------------------------

    async def create(self, actor: Principal, request: AuctionCreate, now: datetime) -> Auction:
        """Draft an auction of one of the actor's instruments (an admin's: any)."""
        instrument = await InstrumentService(self._session).get(actor, request.instrument_id)
        if instrument.issuer_id != actor.user_id and not actor.has_role(Role.ADMIN):
            raise Forbidden(
                code="auction.not_issuer",
                detail="Only the instrument's issuer or an admin auctions it.",
            )
        status = InstrumentStatus(instrument.status)
        basis = request.basis
        if basis is Basis.PRICE and status is not InstrumentStatus.LISTED:
            raise Conflict(
                code="auction.instrument_not_listed",
                detail=f"{instrument.isin} is {status.value}: a re-issue (bid in price) is of a "
                "listed bond.",
            )
        if basis is Basis.YIELD:
            if status is not InstrumentStatus.PENDING_APPROVAL:
                raise Conflict(
                    code="auction.instrument_not_pending",
                    detail=f"{instrument.isin} is {status.value}: a new issue (bid in yield) is "
                    "of a bond submitted for listing and not yet listed.",
                )
            if request.settles_on != instrument.issue_date:
                raise _invalid(
                    "auction.settles_on_not_issue_date",
                    f"A new issue settles on its issue date, {instrument.issue_date}.",
                    "body.settles_on",
                )
        busy = await self._session.scalar(
            select(Auction.id).where(
                Auction.instrument_id == instrument.id,
                Auction.status.in_([s.value for s in OPEN_STATUSES]),
            )
        )
        if busy is not None:
            raise Conflict(
                code="auction.instrument_busy",
                detail=f"{instrument.isin} already has an auction under way.",
                extra={"auction_id": str(busy)},
            )
        self._check_schedule(request, instrument, now)
        lot = request.lot or instrument.lot_increment
        if request.offering % lot:
            raise _invalid(
                "auction.offering_not_lots",
                f"The offering must be a multiple of the lot ({lot}).",
                "body.offering",
            )
        low, high = request.quote_range
        if basis is Basis.PRICE:
            for name, value in (
                ("min_price", low),
                ("max_price", high),
                ("min_increment", request.min_increment),
            ):
                if value is not None:
                    _check_tick(value, instrument.tick_size, f"body.{name}")
        english = request.format is AuctionFormat.ENGLISH
        auction = Auction(
            id=new_id(),
            instrument_id=instrument.id,
            isin=instrument.isin,
            issuer_id=instrument.issuer_id,
            currency=instrument.currency,
            format=request.format.value,
            basis=basis.value,
            pricing=request.effective_pricing.value,
            visibility=request.effective_visibility.value,
            status=AuctionStatus.DRAFT.value,
            offering=request.offering,
            lot=lot,
            min_bid=request.min_bid or instrument.min_lot,
            bid_multiple=request.bid_multiple or instrument.lot_increment,
            rounding=request.rounding.value,
            non_competitive_share=request.non_competitive_share,
            non_competitive_max=request.non_competitive_max,
            bidder_cap_share=request.bidder_cap_share,
            min_quote=low,
            max_quote=high,
            min_increment=request.min_increment,
            soft_close_seconds=(request.soft_close_seconds or 0) if english else None,
            rounds=request.rounds or 1,
            round_seconds=(
                _seconds(request.closes_at - request.opens_at) if request.rounds else None
            ),
            current_round=1,
            announce_at=request.announce_at,
            opens_at=request.opens_at,
            closes_at=request.closes_at,
            scheduled_close_at=request.closes_at,
            settles_on=request.settles_on,
            seq=0,
            bid_seq=0,
            bid_count=0,
            created_by=actor.user_id,
        )
        cash = await self._cash(auction, instrument)
        probe = (high or low or PAR) if basis is Basis.PRICE else (low or high)
        try:  # the bond must price for settlement on the day: one lot at a quote in range
            cash.reservation(lot, probe)
        except AnalyticsError as exc:
            raise _invalid(
                "auction.unpriceable", f"The bond cannot be priced: {exc}", "body.settles_on"
            ) from exc
        try:
            async with self._session.begin_nested():  # a refusal leaves the session usable
                self._session.add(auction)
        except IntegrityError as exc:  # another auction of it was created meanwhile
            raise Conflict(
                code="auction.instrument_busy",
                detail=f"{instrument.isin} already has an auction under way.",
            ) from exc
        await record_audit(
            self._session,
            actor_id=actor.user_id,
            action="auction.created",
            target=f"auction:{auction.id}",
            payload={"isin": auction.isin, "format": auction.format, "offering": auction.offering},
        )
        self._emit(auction, "created", public=False)
        return auction

    @staticmethod
    def _check_schedule(request: AuctionCreate, instrument: Instrument, now: datetime) -> None:
        if request.closes_at <= now:
            raise _invalid(
                "auction.closes_in_the_past", "The auction must close after now.", "body.closes_at"
            )
        if request.closes_at - now > MAX_SCHEDULE:
            raise _invalid(
                "auction.too_far_ahead",
                f"An auction closes within {MAX_SCHEDULE.days} days.",
                "body.closes_at",
            )
        if request.settles_on < market_date(request.closes_at):
            raise _invalid(
                "auction.settles_before_close",
                "Settlement comes on or after the (market) day bidding closes.",
                "body.settles_on",
            )
        if request.settles_on >= instrument.maturity_date:
            raise _invalid(
                "auction.settles_after_maturity",
                f"The bond matures on {instrument.maturity_date}.",
                "body.settles_on",
            )

    async def get(self, viewer: Principal | None, auction_id: uuid.UUID) -> Auction:
        """An auction the viewer may see: public once announced; before, its issuer and admins."""
        auction = await self._session.get(Auction, auction_id)
        if auction is None or not _visible(auction, viewer):
            raise not_found("auction")
        return auction

    async def search(
        self,
        viewer: Principal | None,
        *,
        limit: int,
        cursor: str | None,
        status: AuctionStatus | None,
        instrument_id: uuid.UUID | None,
        format_: AuctionFormat | None,
    ) -> tuple[list[Auction], str | None]:
        """The auctions the viewer may see, by opening time (the calendar), a page at a time."""
        query = select(Auction).order_by(Auction.opens_at, Auction.id).limit(limit + 1)
        if viewer is None or not viewer.has_role(Role.ADMIN):
            visible: ColumnElement[bool] = Auction.announced_at.is_not(None)
            if viewer is not None:
                visible = or_(visible, Auction.issuer_id == viewer.user_id)
            query = query.where(visible)
        after = cursor_value(cursor, "at", _as_datetime)
        after_id = cursor_value(cursor, "id", as_uuid)
        if after is not None and after_id is not None:
            query = query.where(
                or_(
                    Auction.opens_at > after,
                    and_(Auction.opens_at == after, Auction.id > after_id),
                )
            )
        if status is not None:
            query = query.where(Auction.status == status.value)
        if instrument_id is not None:
            query = query.where(Auction.instrument_id == instrument_id)
        if format_ is not None:
            query = query.where(Auction.format == format_.value)
        rows = list(await self._session.scalars(query))
        page = rows[:limit]
        if len(rows) <= limit:
            return page, None
        last = page[-1]
        return page, encode_cursor({"at": last.opens_at.isoformat(), "id": str(last.id)})

    async def views(self, auctions: Sequence[Auction]) -> list[AuctionOut]:
        """The public views of auctions (with their rounds' results, read in one query)."""
        cleared = [a.id for a in auctions if AuctionStatus(a.status) in RESULT_STATUSES]
        rounds: dict[uuid.UUID, list[AuctionRound]] = defaultdict(list)
        if cleared:
            for row in await self._session.scalars(
                select(AuctionRound)
                .where(AuctionRound.auction_id.in_(cleared))
                .order_by(AuctionRound.auction_id, AuctionRound.number)
            ):
                rounds[row.auction_id].append(row)
        bonds = {
            instrument.id: instrument
            for instrument in await InstrumentService(self._session).find(
                ids={a.instrument_id for a in auctions}
            )
        }
        return [
            _view(auction, bonds[auction.instrument_id], rounds.get(auction.id, []))
            for auction in auctions
        ]

    async def view(self, viewer: Principal | None, auction_id: uuid.UUID) -> AuctionOut:
        """The public view of one auction the viewer may see."""
        [out] = await self.views([await self.get(viewer, auction_id)])
        return out

    async def results(self, viewer: Principal | None, auction_id: uuid.UUID) -> ResultsOut:
        """The published results: public once the auction is cleared."""
        out = await self.view(viewer, auction_id)
        if out.results is None:
            raise _not_cleared(out.status)
        return out.results

    # -- the lifecycle ------------------------------------------------------------------------

    async def act(
        self, actor: Principal, auction_id: uuid.UUID, step: Step, now: datetime
    ) -> Auction:
        """Take a step now (the issuer or an admin); see :mod:`.lifecycle`."""
        auction = await self._locked(auction_id, actor)
        if auction.issuer_id != actor.user_id and not actor.has_role(Role.ADMIN):
            raise Forbidden(
                code="auction.not_issuer",
                detail="Only the instrument's issuer or an admin runs its auction.",
            )
        current = AuctionStatus(auction.status)
        if next_status(current, step) is None:
            raise _invalid_transition(step, current)
        if step is Step.SETTLE and market_date(now) < auction.settles_on:
            raise Conflict(
                code="auction.settlement_not_due",
                detail=f"The auction settles on {auction.settles_on}.",
            )
        await self._apply(auction, step, now, actor)
        await record_audit(
            self._session,
            actor_id=actor.user_id,
            action=f"auction.{step.value}",
            target=f"auction:{auction.id}",
            payload={"from": current.value, "to": auction.status, "round": auction.current_round},
        )
        return auction

    async def due(self, now: datetime) -> list[uuid.UUID]:
        """Auctions with a step due at `now` (see :func:`.lifecycle.due_step`)."""
        query = (
            select(Auction.id)
            .where(
                or_(
                    and_(Auction.status == AuctionStatus.DRAFT.value, Auction.announce_at <= now),
                    and_(Auction.status == AuctionStatus.ANNOUNCED.value, Auction.opens_at <= now),
                    and_(Auction.status == AuctionStatus.BIDDING.value, Auction.closes_at <= now),
                    Auction.status == AuctionStatus.CLOSED.value,
                    and_(
                        Auction.status == AuctionStatus.CLEARED.value,
                        Auction.settles_on <= market_date(now),
                    ),
                )
            )
            .order_by(Auction.closes_at, Auction.id)
        )
        return list(await self._session.scalars(query))

    async def advance(
        self, auction_id: uuid.UUID, now: datetime, *, skip_locked: bool = False
    ) -> list[Step] | None:
        """Take, as the venue, every step due at `now`; the steps taken. Each step is a
        savepoint: a step that fails (logged) is undone and stops the auction there, the
        steps before it stand. With `skip_locked`, None when another transaction holds it."""
        auction = await self._session.scalar(
            select(Auction)
            .where(Auction.id == auction_id)
            .with_for_update(skip_locked=skip_locked)
            .execution_options(populate_existing=True)
        )
        if auction is None:
            return None
        taken: list[Step] = []
        today = market_date(now)
        for _ in range(_MAX_STEPS):
            step = due_step(
                AuctionStatus(auction.status),
                now,
                today,
                announce_at=auction.announce_at,
                opens_at=auction.opens_at,
                closes_at=auction.closes_at,
                settles_on=auction.settles_on,
            )
            if step is None:
                break
            try:
                async with self._session.begin_nested():
                    await self._apply(auction, step, now, VENUE)
            except Exception:
                log.exception("auction.step_failed", auction_id=str(auction_id), step=step.value)
                await self._session.refresh(auction)
                break
            taken.append(step)
        return taken

    async def _apply(self, auction: Auction, step: Step, now: datetime, actor: Principal) -> None:
        if step is Step.ANNOUNCE:
            auction.announce_at = min(auction.announce_at, now)
            auction.announced_at = now
            self._transition(auction, step, now)
        elif step is Step.OPEN:
            await self._open(auction, now)
        elif step in (Step.CLOSE, Step.NEXT_ROUND):
            await self._close(auction, now)
        elif step is Step.CLEAR:
            await self._clear(auction, now)
        elif step is Step.SETTLE:
            await self._settle(auction, now, actor)
        else:
            await self._cancel(auction, now, "Cancelled by the issuer or an admin.")

    async def _open(self, auction: Auction, now: datetime) -> None:
        instrument = await self._instrument(auction)
        self._require_instrument(auction, instrument)
        auction.opens_at = min(auction.opens_at, now)
        auction.opened_at = now
        if auction.format == AuctionFormat.MULTI_ROUND:
            self._start_round(auction, first_round(_plan(auction)))
        self._transition(auction, Step.OPEN, now)

    async def _close(self, auction: Auction, now: datetime) -> None:
        """Close bidding; a multi-round auction's round closes, is cleared, and unless it was
        the last (or everything is sold) the next one opens."""
        auction.closes_at = min(auction.closes_at, now)
        if auction.format == AuctionFormat.MULTI_ROUND and auction.current_round < auction.rounds:
            following = await self._clear_round(auction, now)
            if following is not None:
                assert auction.round_seconds is not None  # set for every multi-round auction
                self._start_round(auction, following)
                auction.closes_at = now + timedelta(seconds=auction.round_seconds)
                self._transition(auction, Step.NEXT_ROUND, now, event="round_opened")
                return
        auction.closed_at = now
        self._transition(auction, Step.CLOSE, now)

    def _start_round(self, auction: Auction, round_: Round) -> None:
        auction.current_round = round_.number
        auction.round_offering = round_.offering
        auction.round_remaining = round_.remaining
        auction.round_reference = round_.reference

    async def _cancel(self, auction: Auction, now: datetime, reason: str) -> None:
        """Cancel, releasing every bid's reservation."""
        bids = await self._session.scalars(
            select(AuctionBid)
            .where(AuctionBid.auction_id == auction.id, AuctionBid.reserved > 0)
            .order_by(AuctionBid.number)
        )
        for bid in bids:
            await self._release_all(bid, auction, "auction cancelled")
            bid.status = BidStatus.CANCELLED.value
            bid.updated_at = now
        auction.cancelled_at = now
        self._transition(auction, Step.CANCEL, now, reason)

    # -- clearing -------------------------------------------------------------------------------

    async def _clear(self, auction: Auction, now: datetime) -> None:
        """Clear what is left to clear and publish the results of every round."""
        cleared = await self._session.scalar(
            select(AuctionRound.id).where(
                AuctionRound.auction_id == auction.id,
                AuctionRound.number == auction.current_round,
            )
        )
        if cleared is None:
            await self._clear_round(auction, now)
        rounds = list(
            await self._session.scalars(
                select(AuctionRound)
                .where(AuctionRound.auction_id == auction.id)
                .order_by(AuctionRound.number)
            )
        )
        self._publish(auction, rounds)
        allocations = list(
            await self._session.scalars(
                select(AuctionAllocation)
                .where(AuctionAllocation.auction_id == auction.id)
                .order_by(AuctionAllocation.round, AuctionAllocation.created_at)
            )
        )
        auction.amount_raised = sum(a.amount for a in allocations)
        auction.cleared_at = now
        self._transition(auction, Step.CLEAR, now)
        for allocation in allocations:
            self._emit(
                auction,
                "allotted",
                public=False,
                bid_id=str(allocation.bid_id),
                user_id=str(allocation.user_id),
                quantity=allocation.quantity,
                price=_str(allocation.price),
                amount=allocation.amount,
                refund=allocation.refund,
            )

    def _publish(self, auction: Auction, rounds: Sequence[AuctionRound]) -> None:
        """The auction's results from its rounds' (one round: that round's; several: totals,
        the worst cut-off with its partial allotment, and the average of the rounds'
        weighted averages weighted by what each allotted competitively)."""
        basis = Basis(auction.basis)
        priced = [r for r in rounds if r.cut_off is not None]
        auction.total_bid = sum(r.total_bid for r in rounds)
        auction.total_allotted = sum(r.total_allotted for r in rounds)
        auction.competitive_allotted = sum(r.competitive_allotted for r in rounds)
        auction.non_competitive_allotted = sum(r.non_competitive_allotted for r in rounds)
        auction.bid_to_cover = _ratio(Fraction(auction.total_bid * 100, auction.offering))
        if len(rounds) == 1:
            [only] = rounds
            auction.cut_off, auction.weighted_average = only.cut_off, only.weighted_average
            auction.partial_allotment, auction.undersubscribed = (
                only.partial_allotment,
                only.undersubscribed,
            )
        else:
            auction.undersubscribed = auction.total_allotted < auction.offering
            if priced:
                quotes = [r.cut_off or Decimal(0) for r in priced]
                worst = priced[quotes.index(min(quotes) if basis is Basis.PRICE else max(quotes))]
                auction.cut_off, auction.partial_allotment = worst.cut_off, worst.partial_allotment
                weight = sum(r.competitive_allotted for r in priced)
                if weight:
                    value = sum(
                        (
                            Fraction(r.weighted_average or 0) * r.competitive_allotted
                            for r in priced
                        ),
                        Fraction(0),
                    )
                    auction.weighted_average = _places(value / weight, _AVERAGE_PLACES)
        if basis is Basis.YIELD and auction.total_allotted:
            auction.coupon_rate = auction.cut_off

    async def _clear_round(self, auction: Auction, now: datetime) -> Round | None:
        """Clear the current round's bids, persist its results and allocations; the next
        round of a multi-round auction (None otherwise, or when it was the last)."""
        bids = list(
            await self._session.scalars(
                select(AuctionBid)
                .where(
                    AuctionBid.auction_id == auction.id,
                    AuctionBid.round == auction.current_round,
                    AuctionBid.status == BidStatus.ACTIVE.value,
                )
                .order_by(AuctionBid.number)
            )
        )
        bidders = {
            user_id: BidderId(n) for n, user_id in enumerate(sorted({b.user_id for b in bids}), 1)
        }
        pure = [
            Bid(BidId(b.number), bidders[b.user_id], b.quantity, b.quote, b.priority) for b in bids
        ]
        positions = await self._positions(auction, bids, bidders)
        following: Round | None = None
        reference: Decimal | None = None
        offering = auction.offering
        remaining = auction.offering
        if auction.format == AuctionFormat.MULTI_ROUND:
            assert auction.round_offering is not None and auction.round_remaining is not None
            current = Round(
                auction.current_round,
                auction.round_remaining,
                auction.round_offering,
                auction.round_reference,
            )
            cleared = clear_round(_plan(auction), current, pure, positions)
            result, following = cleared.result, cleared.next
            reference, offering, remaining = current.reference, current.offering, current.remaining
        else:
            result = clear(_rules(auction), pure, positions)
        self._session.add(
            AuctionRound(
                auction_id=auction.id,
                number=auction.current_round,
                offering=offering,
                remaining=remaining,
                reference=reference,
                cut_off=result.cut_off,
                weighted_average=result.weighted_average,
                partial_allotment=result.partial_allotment,
                bid_to_cover=result.bid_to_cover,
                total_bid=result.total_bid,
                total_allotted=result.total_allotted,
                competitive_allotted=result.competitive_allotted,
                non_competitive_allotted=result.non_competitive_allotted,
                undersubscribed=result.undersubscribed,
            )
        )
        await self._allot(auction, bids, result, now)
        self._emit(
            auction,
            "round_cleared",
            public=True,
            round=auction.current_round,
            cut_off=_str(result.cut_off),
            total_allotted=result.total_allotted,
        )
        return following

    async def _positions(
        self, auction: Auction, bids: Sequence[AuctionBid], bidders: dict[uuid.UUID, BidderId]
    ) -> dict[BidderId, int]:
        """Each bidder's reported position (from their latest bid reporting one), plus what
        earlier rounds allotted them: the bidder cap spans the rounds."""
        positions: dict[BidderId, int] = {}
        for bid in sorted(bids, key=lambda b: b.priority):
            if bid.position is not None:
                positions[bidders[bid.user_id]] = bid.position
        if auction.current_round > 1:
            earlier = await self._session.execute(
                select(AuctionAllocation.user_id, func.sum(AuctionAllocation.quantity))
                .where(AuctionAllocation.auction_id == auction.id)
                .group_by(AuctionAllocation.user_id)
            )
            for user_id, units in earlier:
                if user_id in bidders:
                    key = bidders[user_id]
                    positions[key] = positions.get(key, 0) + int(units)
        return positions

    async def _allot(
        self, auction: Auction, bids: Sequence[AuctionBid], result: AuctionResult, now: datetime
    ) -> None:
        """An allocation per cleared bid: units, the quote and price paid, the cash due."""
        cash = await self._cash(auction, await self._instrument(auction))
        coupon = result.cut_off if Basis(auction.basis) is Basis.YIELD else None
        by_number = {b.number: b for b in bids}
        for award in result.awards:
            bid = by_number[award.bid_id]
            quote, price, principal, accrued = None, None, 0, 0
            if award.quantity:
                assert award.quote is not None  # an award is paid at a quote
                quote = award.quote
                price = cash.clean_price(award.quote, coupon)
                paid = cash.payment(award.quantity, price, coupon)
                principal, accrued = paid.principal, paid.accrued
            amount = principal + accrued
            if amount > bid.reserved:  # the reservation is the most a bid can cost
                raise RuntimeError(f"bid {bid.id} owes {amount} but reserved only {bid.reserved}")
            self._session.add(
                AuctionAllocation(
                    auction_id=auction.id,
                    bid_id=bid.id,
                    user_id=bid.user_id,
                    round=bid.round,
                    requested=award.requested,
                    recognised=award.recognised,
                    quantity=award.quantity,
                    quote=quote,
                    price=price,
                    principal=principal,
                    accrued=accrued,
                    amount=amount,
                    reserved=bid.reserved,
                    refund=bid.reserved - amount,
                )
            )
            bid.status = (BidStatus.ALLOTTED if award.quantity else BidStatus.NOT_ALLOTTED).value
            bid.updated_at = now
        await self._session.flush()

    # -- settlement -----------------------------------------------------------------------------

    async def _settle(self, auction: Auction, now: datetime, actor: Principal) -> None:
        """Issue the units and pay the issuer, one entry per cleared bid (module docstring)."""
        instrument = await self._instrument(auction)
        self._require_instrument(auction, instrument)
        allotted = auction.total_allotted or 0
        instruments = InstrumentService(self._session)
        reason = f"Auction {auction.id}"
        if allotted and Basis(auction.basis) is Basis.YIELD:
            assert auction.coupon_rate is not None  # a new issue with allotments has a coupon
            await instruments.issue_at_auction(
                actor,
                instrument.id,
                coupon_rate=auction.coupon_rate,
                units=allotted,
                reason=f"{reason}: {allotted} units at a {auction.coupon_rate}% coupon",
            )
        elif allotted:
            await instruments.reissue(actor, instrument.id, allotted, reason)
        allocations = await self._session.execute(
            select(AuctionAllocation, AuctionBid)
            .join(AuctionBid, AuctionBid.id == AuctionAllocation.bid_id)
            .where(AuctionAllocation.auction_id == auction.id)
            .order_by(AuctionBid.number)
        )
        ledger = LedgerService(self._session)
        issuer_cash = AccountKey(Owner.user(auction.issuer_id), auction.currency, Bucket.AVAILABLE)
        for allocation, bid in allocations:
            if bid.reserved == 0:
                continue
            owner = Owner.user(bid.user_id)
            legs = [Leg(AccountKey(owner, auction.currency, Bucket.LOCKED), -bid.reserved)]
            if allocation.refund:
                legs.append(
                    Leg(AccountKey(owner, auction.currency, Bucket.AVAILABLE), allocation.refund)
                )
            if allocation.quantity:
                legs += [
                    Leg(issuer_cash, allocation.amount),
                    Leg(AccountKey(ISSUANCE, auction.isin, Bucket.SYSTEM), -allocation.quantity),
                    Leg(AccountKey(owner, auction.isin, Bucket.AVAILABLE), allocation.quantity),
                ]
                description = (
                    f"Auction of {auction.isin}: {allocation.quantity} units at "
                    f"{allocation.price} (bid {bid.number})"
                )
            else:
                description = f"Auction of {auction.isin}: bid {bid.number} not allotted"
            entry = await ledger.post(
                EntryDraft(
                    kind="auction",
                    description=description,
                    legs=tuple(legs),
                    reference=_final(bid),
                    actor_id=bid.user_id,
                )
            )
            allocation.entry_id, allocation.settled_at = entry.id, now
            bid.reserved = 0
            bid.updated_at = now
        leftovers = await self._session.scalars(
            select(AuctionBid).where(AuctionBid.auction_id == auction.id, AuctionBid.reserved > 0)
        )
        for bid in leftovers:  # none by construction: every reserving bid was cleared
            await self._release_all(bid, auction, "auction settled")
        auction.settled_at = now
        self._transition(auction, Step.SETTLE, now, total_allotted=allotted)

    # -- bids -----------------------------------------------------------------------------------

    async def place_bid(
        self, principal: Principal, auction_id: uuid.UUID, request: BidCreate, now: datetime
    ) -> BidOut:
        """Bid in an auction that is bidding; the bid's cash is reserved at once."""
        auction = await self._locked(auction_id, principal)
        if auction.issuer_id == principal.user_id:
            raise Forbidden(
                code="auction.own_auction", detail="An issuer does not bid in its own auction."
            )
        await KycChecks(self._session).require_verified(principal.user_id)
        self._require_bidding(auction, now)
        instrument = await self._instrument(auction)
        quote = request.quote
        self._check_basis(auction, request.price, request.yield_percent)
        english = auction.format == AuctionFormat.ENGLISH
        if english:
            if quote is None:
                raise _no_non_competitive(auction)
            if request.quantity != auction.offering:
                raise _invalid(
                    "auction.bid_not_whole_offering",
                    f"An English auction sells the whole offering ({auction.offering} units) "
                    "to one bidder.",
                    "body.quantity",
                )
            _check_tick(quote, instrument.tick_size, "body.price")
        else:
            await self._check_bid(auction, instrument, principal.user_id, request.quantity, quote)
        cash = await self._cash(auction, instrument)
        amount = _reservation(cash, request.quantity, quote, auction)
        auction.bid_seq += 1
        bid = AuctionBid(
            id=new_id(),
            auction_id=auction.id,
            user_id=principal.user_id,
            number=auction.bid_seq,
            priority=auction.bid_seq,
            round=auction.current_round,
            quote=quote,
            quantity=request.quantity,
            position=request.position,
            status=BidStatus.ACTIVE.value,
            reserved=amount,
            version=1,
        )
        if english:  # the auction's rules first, then the money
            await self._lead(auction, bid, now)
        await self._reserve(bid, auction, amount)  # before the bid is written: it may not fit
        self._session.add(bid)
        await self._session.flush()
        auction.bid_count += 1
        public = self._bids_public(auction)
        if public:
            self._touch(auction, now)
        self._emit_bid(auction, bid, "bid_placed", public=public)
        return own_bid(bid, auction)

    async def _lead(self, auction: Auction, bid: AuctionBid, now: datetime) -> None:
        """Apply an English bid to the live auction: the best bid, a soft close, the
        previous leader released."""
        assert bid.quote is not None and auction.min_quote is not None
        assert auction.min_increment is not None and auction.soft_close_seconds is not None
        leader = (
            None
            if auction.best_bid_id is None
            else await self._session.get(AuctionBid, auction.best_bid_id)
        )
        live = EnglishAuction(
            opens_at=_ms(auction.opens_at),
            closes_at=_ms(auction.closes_at),
            opening_price=auction.min_quote,
            increment=auction.min_increment,
            soft_close=auction.soft_close_seconds * 1000,
            best=None if auction.best_price is None else LiveBid(_LEADER, auction.best_price, 0),
            bids=auction.bid_count,
        )
        bidder = _LEADER if leader is not None and leader.user_id == bid.user_id else _CHALLENGER
        placed = place_bid(live, bidder, bid.quote, _ms(now))
        if isinstance(placed, Refusal):
            raise _english_refusal(placed, auction, live)
        if placed.closes_at != live.closes_at:
            auction.closes_at = _instant(placed.closes_at)
            self._emit(auction, "extended", public=True, closes_at=auction.closes_at.isoformat())
        if leader is not None:
            await self._release_all(leader, auction, "outbid")
            leader.status = BidStatus.OUTBID.value
            leader.updated_at = now
            self._emit_bid(auction, leader, "bid_outbid", public=True)
        auction.best_bid_id, auction.best_price = bid.id, bid.quote

    async def amend_bid(
        self,
        principal: Principal,
        auction_id: uuid.UUID,
        bid_id: uuid.UUID,
        change: BidAmend,
        now: datetime,
    ) -> BidOut:
        """Change one of my active bids while bidding; the reservation follows. A lower
        quantity keeps the bid's time priority; anything else renews it."""
        auction, bid = await self._my_active_bid(principal, auction_id, bid_id, now)
        instrument = await self._instrument(auction)
        self._check_basis(auction, change.price, change.yield_percent)
        quote = bid.quote if change.quote is None else change.quote
        if bid.quote is None and change.quote is not None:
            raise _invalid(
                "auction.bid_kind_fixed",
                "A non-competitive bid stays non-competitive: withdraw it and bid again.",
                f"body.{_QUOTE_FIELD[Basis(auction.basis)]}",
            )
        quantity = change.quantity or bid.quantity
        await self._check_bid(auction, instrument, bid.user_id, quantity, quote, amending=bid)
        cash = await self._cash(auction, instrument)
        amount = _reservation(cash, quantity, quote, auction)
        keeps_place = quote == bid.quote and quantity <= bid.quantity
        bid.version += 1
        if amount > bid.reserved:
            await self._reserve(bid, auction, amount - bid.reserved)
        elif amount < bid.reserved:
            await LedgerService(self._session).release(
                bid.user_id,
                auction.currency,
                bid.reserved - amount,
                reference=f"auction-bid:{bid.id}:v{bid.version}",
                description=f"Bid {bid.number} in the auction of {auction.isin} amended",
            )
        bid.reserved, bid.quantity, bid.quote = amount, quantity, quote
        if "position" in change.model_fields_set:
            bid.position = change.position
        if not keeps_place:
            auction.bid_seq += 1
            bid.priority = auction.bid_seq
        bid.updated_at = now
        public = self._bids_public(auction)
        if public:
            self._touch(auction, now)
        self._emit_bid(auction, bid, "bid_amended", public=public)
        return own_bid(bid, auction)

    async def withdraw_bid(
        self, principal: Principal, auction_id: uuid.UUID, bid_id: uuid.UUID, now: datetime
    ) -> BidOut:
        """Withdraw one of my active bids while bidding; its reservation is released."""
        auction, bid = await self._my_active_bid(principal, auction_id, bid_id, now)
        await self._release_all(bid, auction, "withdrawn")
        bid.status = BidStatus.WITHDRAWN.value
        bid.updated_at = now
        public = self._bids_public(auction)
        if public:
            self._touch(auction, now)
        self._emit_bid(auction, bid, "bid_withdrawn", public=public)
        return own_bid(bid, auction)

    async def _my_active_bid(
        self, principal: Principal, auction_id: uuid.UUID, bid_id: uuid.UUID, now: datetime
    ) -> tuple[Auction, AuctionBid]:
        auction = await self._locked(auction_id, principal)
        bid = await self._session.get(AuctionBid, bid_id)
        if bid is None or bid.auction_id != auction.id or bid.user_id != principal.user_id:
            raise _bid_not_found()
        if auction.format == AuctionFormat.ENGLISH:
            raise Conflict(
                code="auction.bid_final",
                detail="English bids are binding: they can only be outbid.",
            )
        self._require_bidding(auction, now)
        if bid.status != BidStatus.ACTIVE or bid.round != auction.current_round:
            raise Conflict(
                code="auction.bid_not_active",
                detail=f"The bid is {bid.status} (round {bid.round}): it can no longer change.",
            )
        return auction, bid

    async def bids(
        self,
        viewer: Principal,
        auction_id: uuid.UUID,
        *,
        limit: int,
        cursor: str | None,
        mine: bool = False,
    ) -> tuple[list[BidOut], str | None]:
        """The bids the viewer may see, by number: their own; everybody's in an open auction
        (without bidders); all, with bidders, for the issuer and admins once bidding closed."""
        auction = await self.get(viewer, auction_id)
        manager = _manages(viewer, auction)
        opened = AuctionStatus(auction.status) in OPENED_STATUSES
        named = manager and opened
        query = (
            select(AuctionBid)
            .where(AuctionBid.auction_id == auction.id)
            .order_by(AuctionBid.number)
            .limit(limit + 1)
        )
        if mine or not (named or auction.visibility == Visibility.OPEN):
            query = query.where(AuctionBid.user_id == viewer.user_id)
        after = cursor_value(cursor, "after", as_int)
        if after is not None:
            query = query.where(AuctionBid.number > after)
        rows = list(await self._session.scalars(query))
        page = rows[:limit]
        basis = Basis(auction.basis)
        out = [_bid_out(bid, basis, viewer.user_id, named) for bid in page]
        return out, encode_cursor({"after": page[-1].number}) if len(rows) > limit else None

    async def allocations(
        self, viewer: Principal, auction_id: uuid.UUID, *, limit: int, cursor: str | None
    ) -> tuple[list[AllocationOut], str | None]:
        """Allocations of a cleared auction: the viewer's own; all for the issuer and admins."""
        auction = await self.get(viewer, auction_id)
        if AuctionStatus(auction.status) not in RESULT_STATUSES:
            raise _not_cleared(AuctionStatus(auction.status))
        query = (
            select(AuctionAllocation, AuctionBid.number)
            .join(AuctionBid, AuctionBid.id == AuctionAllocation.bid_id)
            .where(AuctionAllocation.auction_id == auction.id)
            .order_by(AuctionBid.number)
            .limit(limit + 1)
        )
        if not _manages(viewer, auction):
            query = query.where(AuctionAllocation.user_id == viewer.user_id)
        after = cursor_value(cursor, "after", as_int)
        if after is not None:
            query = query.where(AuctionBid.number > after)
        rows = (await self._session.execute(query)).all()
        basis = Basis(auction.basis)
        out = [_allocation_out(allocation, number, basis) for allocation, number in rows[:limit]]
        next_cursor = encode_cursor({"after": out[-1].bid_number}) if len(rows) > limit else None
        return out, next_cursor

    # -- checks -----------------------------------------------------------------------------------

    @staticmethod
    def _require_bidding(auction: Auction, now: datetime) -> None:
        if auction.status != AuctionStatus.BIDDING or not (
            auction.opens_at <= now < auction.closes_at
        ):
            raise _not_bidding(auction)

    @staticmethod
    def _check_basis(auction: Auction, price: Decimal | None, yield_: Decimal | None) -> None:
        basis = Basis(auction.basis)
        wrong = yield_ if basis is Basis.PRICE else price
        if wrong is not None:
            expected = _QUOTE_FIELD[basis]
            other = _QUOTE_FIELD[Basis.YIELD if basis is Basis.PRICE else Basis.PRICE]
            raise _invalid(
                "auction.wrong_basis",
                f"This auction is bid in {basis.value}: give {expected}, not {other}.",
                f"body.{other}",
            )

    async def _check_bid(
        self,
        auction: Auction,
        instrument: Instrument,
        user_id: uuid.UUID,
        quantity: int,
        quote: Decimal | None,
        *,
        amending: AuctionBid | None = None,
    ) -> None:
        """The rules a sealed (or open) bid keeps: size, multiple, quote range and tick, the
        multi-round reference, the non-competitive share and maximum."""
        if quantity < auction.min_bid:
            raise _invalid(
                "auction.bid_below_minimum",
                f"The smallest bid is {auction.min_bid} units.",
                "body.quantity",
                min_bid=auction.min_bid,
            )
        if quantity % auction.bid_multiple:
            raise _invalid(
                "auction.bid_not_multiple",
                f"Bids are multiples of {auction.bid_multiple} units.",
                "body.quantity",
                bid_multiple=auction.bid_multiple,
            )
        basis = Basis(auction.basis)
        field = f"body.{_QUOTE_FIELD[basis]}"
        if quote is None:
            await self._check_non_competitive(auction, user_id, quantity, amending)
            return
        if basis is Basis.PRICE:
            _check_tick(quote, instrument.tick_size, field)
        low, high = auction.min_quote, auction.max_quote
        if (low is not None and quote < low) or (high is not None and quote > high):
            raise _invalid(
                "auction.quote_out_of_range",
                f"Bids are taken from {low or 'any'} to {high or 'any'} ({basis.value}).",
                field,
                min_quote=_str(low),
                max_quote=_str(high),
            )
        reference = auction.round_reference
        if reference is not None and (
            quote < reference if basis is Basis.PRICE else quote > reference
        ):
            raise _invalid(
                "auction.quote_out_of_range",
                f"Round {auction.current_round} takes no bid worse than the previous round's "
                f"cut-off, {reference}.",
                field,
                reference=str(reference),
            )

    async def _check_non_competitive(
        self,
        auction: Auction,
        user_id: uuid.UUID,
        quantity: int,
        amending: AuctionBid | None,
    ) -> None:
        if not auction.non_competitive_share:
            raise _no_non_competitive(auction)
        most = auction.non_competitive_max
        if most is None:
            return
        query = select(func.coalesce(func.sum(AuctionBid.quantity), 0)).where(
            AuctionBid.auction_id == auction.id,
            AuctionBid.user_id == user_id,
            AuctionBid.round == auction.current_round,
            AuctionBid.status == BidStatus.ACTIVE.value,
            AuctionBid.quote.is_(None),
        )
        if amending is not None:
            query = query.where(AuctionBid.id != amending.id)
        already = int(await self._session.scalar(query) or 0)
        if already + quantity > most:
            raise _invalid(
                "auction.non_competitive_max_exceeded",
                f"An investor bids at most {most} units non-competitively ({already} already).",
                "body.quantity",
                non_competitive_max=most,
            )

    # -- internals --------------------------------------------------------------------------------

    async def _locked(self, auction_id: uuid.UUID, viewer: Principal) -> Auction:
        """The auction, its row held for this transaction (bids and steps queue on it)."""
        auction = await self._session.scalar(
            select(Auction)
            .where(Auction.id == auction_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if auction is None or not _visible(auction, viewer):
            raise not_found("auction")
        return auction

    async def _instrument(self, auction: Auction) -> Instrument:
        found = await InstrumentService(self._session).find(ids=[auction.instrument_id])
        if not found:
            raise not_found("instrument")
        return found[0]

    @staticmethod
    def _require_instrument(auction: Auction, instrument: Instrument) -> None:
        """The bond is still what the auction sells: listed (a re-issue) or awaiting its
        listing (a new issue)."""
        wanted = (
            InstrumentStatus.LISTED
            if Basis(auction.basis) is Basis.PRICE
            else InstrumentStatus.PENDING_APPROVAL
        )
        if instrument.status != wanted:
            raise Conflict(
                code="auction.instrument_unavailable",
                detail=f"{instrument.isin} is {instrument.status}, no longer {wanted.value}: "
                "cancel the auction.",
            )

    async def _cash(self, auction: Auction, instrument: Instrument) -> AuctionCash:
        scale = (await LedgerService(self._session).asset(auction.currency)).scale
        _, terms = instrument_terms(instrument, scale)
        return AuctionCash(
            Basis(auction.basis),
            Pricing(auction.pricing),
            terms,
            auction.settles_on,
            scale,
            auction.min_quote,
            auction.max_quote,
        )

    async def _reserve(self, bid: AuctionBid, auction: Auction, amount: int) -> None:
        try:
            await LedgerService(self._session).reserve(
                bid.user_id,
                auction.currency,
                amount,
                reference=f"auction-bid:{bid.id}:v{bid.version}",
                description=f"Bid {bid.number} in the auction of {auction.isin}",
            )
        except InsufficientFunds as exc:
            raise _invalid(
                "auction.insufficient_funds",
                f"The bid needs {amount} {auction.currency} (minor units) available.",
                "body.quantity",
                required=amount,
                asset=auction.currency,
            ) from exc

    async def _release_all(self, bid: AuctionBid, auction: Auction, why: str) -> None:
        """Release all a bid holds, with its final entry (a bid has one)."""
        if bid.reserved:
            await LedgerService(self._session).release(
                bid.user_id,
                auction.currency,
                bid.reserved,
                reference=_final(bid),
                description=f"Bid {bid.number} in the auction of {auction.isin}: {why}",
            )
            bid.reserved = 0

    @staticmethod
    def _bids_public(auction: Auction) -> bool:
        """Whether a change to the bids changes what everybody sees."""
        return auction.visibility == Visibility.OPEN

    @staticmethod
    def _touch(auction: Auction, now: datetime) -> None:
        auction.seq += 1
        auction.updated_at = now

    def _transition(
        self,
        auction: Auction,
        step: Step,
        now: datetime,
        reason: str | None = None,
        *,
        event: str | None = None,
        **data: Any,
    ) -> None:
        """The one place an auction's status changes; records `auction.<status>.v1` (or, for
        a new round, `auction.<event>.v1`)."""
        current = AuctionStatus(auction.status)
        target = next_status(current, step)
        if target is None:
            raise _invalid_transition(step, current)
        auction.status = target.value
        auction.status_reason = reason
        public = auction.announced_at is not None
        if public:
            self._touch(auction, now)
        else:
            auction.updated_at = now
        self._emit(auction, event or target.value, public=public, **data)

    def _emit(self, auction: Auction, what: str, *, public: bool, **data: Any) -> None:
        record_event(
            self._session,
            f"auction.{what}.v1",
            {
                "auction_id": str(auction.id),
                "instrument_id": str(auction.instrument_id),
                "isin": auction.isin,
                "issuer_id": str(auction.issuer_id),
                "format": auction.format,
                "status": auction.status,
                "round": auction.current_round,
                "seq": auction.seq,
                "public": public,
                **data,
            },
        )

    def _emit_bid(self, auction: Auction, bid: AuctionBid, what: str, *, public: bool) -> None:
        self._emit(
            auction,
            what,
            public=public,
            bid_id=str(bid.id),
            number=bid.number,
            user_id=str(bid.user_id),
            quote=_str(bid.quote),
            quantity=bid.quantity,
            reserved=bid.reserved,
            bid_status=bid.status,
        )


# -- helpers --------------------------------------------------------------------------------------


def _visible(auction: Auction, viewer: Principal | None) -> bool:
    if auction.announced_at is not None:
        return True
    return viewer is not None and _manages(viewer, auction)


def _manages(viewer: Principal, auction: Auction) -> bool:
    return viewer.user_id == auction.issuer_id or viewer.has_role(Role.ADMIN)


def _final(bid: AuctionBid) -> str:
    """The reference of the entry that ends a bid's reservation (settlement or release)."""
    return f"auction-bid:{bid.id}:final"


def _rules(auction: Auction) -> AuctionRules:
    return AuctionRules(
        offering=auction.offering,
        pricing=Pricing(auction.pricing),
        basis=Basis(auction.basis),
        lot=auction.lot,
        rounding=Rounding(auction.rounding),
        non_competitive_share=auction.non_competitive_share,
        non_competitive_max=auction.non_competitive_max,
        bidder_cap_share=auction.bidder_cap_share,
        average_places=_AVERAGE_PLACES,
    )


def _plan(auction: Auction) -> MultiRoundPlan:
    return MultiRoundPlan(_rules(auction), auction.rounds, auction.min_quote)


def _reservation(cash: AuctionCash, quantity: int, quote: Decimal | None, auction: Auction) -> int:
    try:
        return cash.reservation(quantity, quote)
    except AnalyticsError as exc:
        raise _invalid(
            "auction.unpriceable",
            f"This bid cannot be priced: {exc}",
            f"body.{_QUOTE_FIELD[Basis(auction.basis)]}",
        ) from exc


def _check_tick(price: Decimal, tick: Decimal, field: str) -> None:
    ticks = price / tick
    if ticks != ticks.to_integral_value():
        raise _invalid(
            "auction.invalid_tick", f"Prices are multiples of the tick size {tick}.", field
        )


def _english_refusal(
    refusal: Refusal, auction: Auction, live: EnglishAuction
) -> Conflict | Unprocessable:
    if refusal in (Refusal.NOT_OPEN, Refusal.CLOSED):
        return _not_bidding(auction)
    if refusal is Refusal.ALREADY_LEADING:
        return Conflict(code="auction.already_leading", detail="Yours is already the best bid.")
    least = minimum_bid(live)
    return _invalid(
        "auction.bid_too_low",
        f"The next bid must be at least {least}.",
        "body.price",
        minimum_bid=str(least),
    )


def _no_non_competitive(auction: Auction) -> Unprocessable:
    field = f"body.{_QUOTE_FIELD[Basis(auction.basis)]}"
    return _invalid(
        "auction.non_competitive_not_offered",
        f"This auction takes only competitive bids: give {field.removeprefix('body.')}.",
        field,
    )


def _not_cleared(status: AuctionStatus) -> Conflict:
    return Conflict(
        code="auction.not_cleared",
        detail=f"The auction is {status.value}: results come once it is cleared.",
    )


def _invalid_transition(step: Step, current: AuctionStatus) -> Conflict:
    return Conflict(
        code="auction.invalid_transition",
        detail=f"Cannot {step.value.replace('_', ' ')} a {current.value} auction.",
    )


def _seconds(span: timedelta) -> int:
    return max(1, -(-span // timedelta(seconds=1)))


def _ratio(value: Fraction) -> Decimal:
    """A percentage fraction as a ratio to 2 decimals, half even (x100 already applied)."""
    return Decimal(round(value)).scaleb(-2)


def _places(value: Fraction, places: int) -> Decimal:
    scaled = Decimal(value.numerator) / Decimal(value.denominator)
    return scaled.quantize(Decimal(1).scaleb(-places), ROUND_HALF_EVEN)


def _str(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _as_datetime(value: object) -> datetime:
    return datetime.fromisoformat(as_str(value))


def _view(auction: Auction, instrument: Instrument, rounds: Sequence[AuctionRound]) -> AuctionOut:
    """The public view of an auction."""
    basis = Basis(auction.basis)
    status = AuctionStatus(auction.status)
    price = basis is Basis.PRICE
    bond = BondOffered(
        name=instrument.name,
        face_value=instrument.face_value,
        # A new issue's coupon is its cut-off yield (the bond's own is provisional till then).
        coupon_rate=instrument.coupon_rate if price else auction.coupon_rate,
        coupon_frequency=instrument.coupon_frequency,
        day_count=instrument.day_count,
        issue_date=instrument.issue_date,
        maturity_date=instrument.maturity_date,
        first_coupon_date=instrument.first_coupon_date,
        tick_size=instrument.tick_size,
        credit_rating=instrument.credit_rating,
    )
    english = None
    if auction.format == AuctionFormat.ENGLISH:
        assert auction.min_quote is not None and auction.min_increment is not None
        english = EnglishState(
            best_price=auction.best_price,
            minimum_bid=(
                auction.min_quote
                if auction.best_price is None
                else auction.best_price + auction.min_increment
            ),
            bids=auction.bid_count,
        )
    results = None
    if status in RESULT_STATUSES and auction.cleared_at is not None:
        results = ResultsOut(
            auction_id=auction.id,
            status=status,
            basis=basis,
            pricing=Pricing(auction.pricing),
            offering=auction.offering,
            cut_off=auction.cut_off,
            weighted_average=auction.weighted_average,
            partial_allotment=auction.partial_allotment,
            bid_to_cover=auction.bid_to_cover or Decimal(0),
            total_bid=auction.total_bid or 0,
            total_allotted=auction.total_allotted or 0,
            competitive_allotted=auction.competitive_allotted or 0,
            non_competitive_allotted=auction.non_competitive_allotted or 0,
            undersubscribed=bool(auction.undersubscribed),
            coupon_rate=auction.coupon_rate,
            amount_raised=auction.amount_raised or 0,
            rounds=[RoundOut.model_validate(r) for r in rounds],
            cleared_at=auction.cleared_at,
            settled_at=auction.settled_at,
        )
    shown = auction.visibility == Visibility.OPEN or status in OPENED_STATUSES
    return AuctionOut(
        id=auction.id,
        instrument_id=auction.instrument_id,
        isin=auction.isin,
        issuer_id=auction.issuer_id,
        currency=auction.currency,
        format=AuctionFormat(auction.format),
        basis=basis,
        pricing=Pricing(auction.pricing),
        visibility=Visibility(auction.visibility),
        status=status,
        status_reason=auction.status_reason,
        seq=auction.seq,
        offering=auction.offering,
        lot=auction.lot,
        min_bid=auction.min_bid,
        bid_multiple=auction.bid_multiple,
        rounding=Rounding(auction.rounding),
        non_competitive_share=auction.non_competitive_share,
        non_competitive_max=auction.non_competitive_max,
        bidder_cap_share=auction.bidder_cap_share,
        min_price=auction.min_quote if price else None,
        max_price=auction.max_quote if price else None,
        min_yield=None if price else auction.min_quote,
        max_yield=None if price else auction.max_quote,
        min_increment=auction.min_increment,
        soft_close_seconds=auction.soft_close_seconds,
        rounds=auction.rounds,
        current_round=auction.current_round,
        round_offering=auction.round_offering,
        round_reference=auction.round_reference,
        announce_at=auction.announce_at,
        opens_at=auction.opens_at,
        closes_at=auction.closes_at,
        scheduled_close_at=auction.scheduled_close_at,
        settles_on=auction.settles_on,
        bids=auction.bid_count if shown else None,
        bond=bond,
        english=english,
        results=results,
        created_at=auction.created_at,
        updated_at=auction.updated_at,
    )


def own_bid(bid: AuctionBid, auction: Auction) -> BidOut:
    """The view of a bid for its bidder."""
    return _bid_out(bid, Basis(auction.basis), bid.user_id, named=True)


def _bid_out(bid: AuctionBid, basis: Basis, viewer_id: uuid.UUID, named: bool) -> BidOut:
    mine = bid.user_id == viewer_id
    shown = mine or named
    price = basis is Basis.PRICE
    return BidOut(
        id=bid.id,
        auction_id=bid.auction_id,
        number=bid.number,
        round=bid.round,
        mine=mine,
        user_id=bid.user_id if shown else None,
        competitive=bid.quote is not None,
        price=bid.quote if price else None,
        yield_percent=None if price else bid.quote,
        quantity=bid.quantity,
        position=bid.position if shown else None,
        status=BidStatus(bid.status),
        reserved=bid.reserved if mine else None,
        created_at=bid.created_at,
        updated_at=bid.updated_at,
    )


@dataclass(frozen=True, slots=True)
class Allotment:
    """Units a user bought in an auction: what they cost (clean) and the entry that settled
    them, so a portfolio gives them a cost basis as it does a trade's."""

    auction_id: uuid.UUID
    entry_id: uuid.UUID
    quantity: int
    price: Decimal
    principal: int
    accrued: int
    settled_at: datetime


async def allotments(session: AsyncSession, user_id: uuid.UUID) -> list[Allotment]:
    """The user's settled auction allocations that got units, oldest first."""
    rows = await session.scalars(
        select(AuctionAllocation)
        .where(
            AuctionAllocation.user_id == user_id,
            AuctionAllocation.entry_id.is_not(None),
            AuctionAllocation.quantity > 0,
        )
        .order_by(AuctionAllocation.settled_at)
    )
    return [
        Allotment(
            auction_id=row.auction_id,
            entry_id=row.entry_id,
            quantity=row.quantity,
            price=row.price,
            principal=row.principal,
            accrued=row.accrued,
            settled_at=row.settled_at,
        )
        for row in rows
        if row.entry_id is not None and row.price is not None and row.settled_at is not None
    ]


def _allocation_out(allocation: AuctionAllocation, number: int, basis: Basis) -> AllocationOut:
    return AllocationOut(
        bid_id=allocation.bid_id,
        bid_number=number,
        user_id=allocation.user_id,
        round=allocation.round,
        requested=allocation.requested,
        recognised=allocation.recognised,
        quantity=allocation.quantity,
        price=allocation.price,
        yield_percent=allocation.quote if basis is Basis.YIELD else None,
        principal=allocation.principal,
        accrued=allocation.accrued,
        amount=allocation.amount,
        reserved=allocation.reserved,
        refund=allocation.refund,
        entry_id=allocation.entry_id,
        settled_at=allocation.settled_at,
    )

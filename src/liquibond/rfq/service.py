"""RFQ use cases: request, quote, counter, accept (with or without last look), cancel, expire;
views, dealer statistics, limits and the audit trail. Never commits.

An accepted quote trades through its instrument's book writer (an
:class:`~liquibond.trading.runner.OffBookTrade`): the writer gives it the book's next trade
id and settles it as a book trade, and in the same transaction :class:`Acceptance` checks
that the RFQ and the quote still stand and marks them done. So a trade and its RFQ's outcome
commit together or not at all, and a quote can only ever be traded once.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from liquibond.analytics import trade_cash
from liquibond.config import Settings
from liquibond.identity.models import Role
from liquibond.identity.service import Principal, UserCard, active_holders, user_cards
from liquibond.instruments.models import Instrument
from liquibond.instruments.service import InstrumentService
from liquibond.kyc.service import KycChecks
from liquibond.ledger.entries import AccountKey, Owner
from liquibond.ledger.models import Bucket
from liquibond.ledger.service import LedgerService
from liquibond.platform.db import utcnow
from liquibond.platform.errors import Conflict, FieldError, Forbidden, Unprocessable, not_found
from liquibond.platform.outbox import Recorder, record_event
from liquibond.platform.schemas import as_uuid, cursor_value, encode_cursor
from liquibond.rfq import lifecycle
from liquibond.rfq.lifecycle import (
    LIVE_RFQ_STATUSES,
    DealerPrice,
    Outcome,
    QuoteStatus,
    QuoteStep,
    RfqStatus,
    RfqStep,
    Side,
)
from liquibond.rfq.models import LimitScope, Rfq, RfqDealer, RfqEvent, RfqLimit, RfqQuote
from liquibond.rfq.schemas import (
    CounterCreate,
    DealerOut,
    Decision,
    LastLookDecision,
    LimitOut,
    LimitSet,
    QuoteCreate,
    QuoteOut,
    RfqAccept,
    RfqCreate,
    RfqDealerOut,
    RfqEventOut,
    RfqOut,
    RfqRole,
)
from liquibond.trading.models import OrderSide, Venue
from liquibond.trading.models import Trade as TradeRow
from liquibond.trading.runner import OffBookTrade
from liquibond.trading.service import Market, check_lot, market_of, require_tradable, to_ticks
from liquibond.valuation.service import trade_date

_OBSERVERS = (Role.COMPLIANCE, Role.ADMIN)
_PERCENT = Decimal("0.01")


def _conflict(code: str, detail: str) -> Conflict:
    return Conflict(code=f"rfq.{code}", detail=detail)


def _refuse(code: str, detail: str, field: str | None = None, **extra: object) -> Unprocessable:
    errors = [FieldError(field, detail, code)] if field else []
    return Unprocessable(code=f"rfq.{code}", detail=detail, errors=errors, extra=extra)


def _step(rfq: Rfq, step: RfqStep, now: datetime) -> None:
    """The one way an RFQ's status changes; 409 if `step` is not allowed now."""
    after = lifecycle.next_rfq_status(RfqStatus(rfq.status), step)
    if after is None:
        raise _conflict(
            f"not_{'open' if rfq.status != RfqStatus.LAST_LOOK else 'held'}",
            f"This RFQ is {rfq.status}: it cannot be {step.value}ed now.",
        )
    rfq.status = after.value
    rfq.updated_at = now
    if after not in LIVE_RFQ_STATUSES:
        rfq.ended_at = now


def _quote_step(quote: RfqQuote, step: QuoteStep, now: datetime) -> None:
    """The one way a quote's status changes; 409 if `step` is not allowed now."""
    after = lifecycle.next_quote_status(QuoteStatus(quote.status), step)
    if after is None:
        raise _conflict("quote_not_live", f"This quote is {quote.status}.")
    quote.status = after.value
    quote.updated_at = now


@dataclass(frozen=True, slots=True)
class Limits:
    """The RFQ limits that apply to one subject: its own, else the venue's defaults."""

    max_quantity: int | None
    max_open: int | None


class RfqService:
    """RFQ use cases over one unit of work's session; never commits."""

    def __init__(
        self, session: AsyncSession, settings: Settings, record: Recorder | None = None
    ) -> None:
        self._session = session
        self._settings = settings
        self._record = record or functools.partial(record_event, session)

    # -- requester ------------------------------------------------------------------------

    async def request(self, principal: Principal, body: RfqCreate, now: datetime) -> Rfq:
        """Ask dealers for a price on a tradable bond, within the requester's and the
        instrument's limits."""
        await KycChecks(self._session).require_verified(principal.user_id)
        instrument = await InstrumentService(self._session).get(principal, body.instrument_id)
        require_tradable(instrument, prefix="rfq")
        check_lot(instrument, body.quantity, "body.quantity", prefix="rfq")
        dealers = await self._dealers_to_ask(principal.user_id, body.dealer_ids)
        await self._check_request_limits(principal.user_id, instrument.id, body.quantity)
        rfq = Rfq(
            requester_id=principal.user_id,
            instrument_id=instrument.id,
            side=body.side.value,
            quantity=body.quantity,
            disclosed=body.disclosed,
            status=RfqStatus.OPEN.value,
            expires_at=now + timedelta(seconds=body.expires_in_seconds),
            seq=0,
            created_at=now,
        )
        self._session.add(rfq)
        await self._session.flush()
        self._session.add_all(
            RfqDealer(rfq_id=rfq.id, dealer_id=dealer, asked_at=now) for dealer in dealers
        )
        await self._log(
            rfq,
            principal.user_id,
            "requested",
            {"dealers": [str(d) for d in dealers], "quantity": body.quantity, "side": rfq.side},
            audience=dealers,
        )
        return rfq

    async def counter(
        self, principal: Principal, rfq_id: uuid.UUID, quote_id: uuid.UUID, body: CounterCreate,
        now: datetime,
    ) -> Rfq:  # fmt: skip
        """Counter a live quote with the price I would trade at; its dealer may re-quote."""
        rfq = await self._mine(principal, rfq_id)
        self._require_open(rfq, now)
        quote = await self._quote(rfq, quote_id)
        self._require_live(quote, now)
        market = await self._market(rfq)
        to_ticks(body.price, market.tick_size, "body.price", prefix="rfq")
        if not lifecycle.better(Side(rfq.side), body.price, quote.price):
            raise _refuse(
                "counter_not_better",
                f"A counter asks for a better price than the quote's {quote.price}.",
                "body.price",
            )
        quote.counter_price = body.price
        quote.countered_at = quote.updated_at = now
        await self._log(
            rfq,
            principal.user_id,
            "countered",
            {"quote_id": str(quote.id), "price": str(body.price)},
            audience=[quote.dealer_id],
        )
        return rfq

    async def accept(
        self, principal: Principal, rfq_id: uuid.UUID, body: RfqAccept, now: datetime
    ) -> tuple[OffBookTrade, Market] | None:
        """Take a firm quote. Without last look: the trade for the book's writer to execute
        (nothing is changed here). With last look: the quote is held for its dealer, and
        None is returned."""
        rfq = await self._mine(principal, rfq_id)
        self._require_open(rfq, now)
        quote = await self._quote(rfq, body.quote_id)
        self._require_live(quote, now)
        if not quote.firm:
            raise _conflict("quote_not_firm", "An indicative quote cannot be accepted.")
        if body.price is not None and body.price != quote.price:
            raise _conflict("quote_changed", f"The quote is now {quote.price}, not {body.price}.")
        market = await self._market(rfq)
        await self._require_parties(rfq, quote.dealer_id)
        if quote.last_look_ms is None:
            return self._trade(rfq, quote, principal.user_id, market), market
        _step(rfq, RfqStep.HOLD, now)
        _quote_step(quote, QuoteStep.HOLD, now)
        quote.held_at = now
        rfq.held_quote_id = quote.id
        rfq.hold_until = now + timedelta(milliseconds=quote.last_look_ms)
        await self._log(
            rfq,
            principal.user_id,
            "held",
            {"quote_id": str(quote.id), "price": str(quote.price), "hold_ms": quote.last_look_ms},
            audience=[quote.dealer_id],
        )
        return None

    async def cancel(self, principal: Principal, rfq_id: uuid.UUID, now: datetime) -> Rfq:
        """Cancel my open RFQ; its dealers learn it was cancelled."""
        rfq = await self._mine(principal, rfq_id)
        await self._end(rfq, RfqStep.CANCEL, Outcome.CANCELLED, principal.user_id, now)
        return rfq

    # -- dealer ---------------------------------------------------------------------------

    async def quote(
        self, principal: Principal, rfq_id: uuid.UUID, body: QuoteCreate, now: datetime
    ) -> RfqQuote:
        """Answer an RFQ I was asked on; my live quote, if any, is replaced by this one."""
        rfq = await self._load(rfq_id)
        asked = await self._asked(rfq, principal.user_id)
        self._require_open(rfq, now)
        await KycChecks(self._session).require_verified(principal.user_id)
        limits = await self._limits(LimitScope.DEALER, principal.user_id)
        if limits.max_quantity is not None and rfq.quantity > limits.max_quantity:
            raise _refuse(
                "dealer_limit_exceeded",
                f"You may quote at most {limits.max_quantity} units.",
                limit=limits.max_quantity,
            )
        last_look = body.last_look_ms
        if last_look is not None and last_look > self._settings.rfq_last_look_max_ms:
            raise _refuse(
                "last_look_too_long",
                f"The venue allows a last look of at most {self._settings.rfq_last_look_max_ms} "
                "ms.",
                "body.last_look_ms",
                limit=self._settings.rfq_last_look_max_ms,
            )
        market = await self._market(rfq)
        ticks = to_ticks(body.price, market.tick_size, "body.price", prefix="rfq")
        if body.firm:
            await self._require_backing(rfq, principal.user_id, market, ticks)
        previous = [q for q in await self._quotes(rfq, principal.user_id) if q.status in _ACTIVE]
        if any(q.status == QuoteStatus.HELD for q in previous):
            raise _conflict("quote_held", "Your quote is held for your last look: decide first.")
        if not previous and limits.max_open is not None:
            live = await self._session.scalar(
                select(func.count())
                .select_from(RfqQuote)
                .where(
                    RfqQuote.dealer_id == principal.user_id,
                    RfqQuote.status == QuoteStatus.LIVE.value,
                    RfqQuote.valid_until > now,
                )
            )
            if (live or 0) >= limits.max_open:
                raise _refuse(
                    "dealer_limit_exceeded",
                    f"You may have at most {limits.max_open} live quotes.",
                    limit=limits.max_open,
                )
        for old in previous:
            _quote_step(old, QuoteStep.REPLACE, now)
        quote = RfqQuote(
            rfq_id=rfq.id,
            dealer_id=principal.user_id,
            price=body.price,
            price_ticks=ticks,
            firm=body.firm,
            valid_until=min(now + timedelta(seconds=body.valid_for_seconds), rfq.expires_at),
            last_look_ms=last_look,
            status=QuoteStatus.LIVE.value,
            created_at=now,
        )
        self._session.add(quote)
        await self._session.flush()
        if asked.first_quoted_at is None:
            asked.first_quoted_at = now
            asked.response_ms = int((now - asked.asked_at) / timedelta(milliseconds=1))
        await self._log(
            rfq,
            principal.user_id,
            "quoted",
            {
                "quote_id": str(quote.id),
                "price": str(quote.price),
                "firm": quote.firm,
                "valid_until": quote.valid_until.isoformat(),
                "last_look_ms": last_look,
                "replaces": [str(old.id) for old in previous],
            },
            audience=[principal.user_id],
        )
        return quote

    async def withdraw(
        self, principal: Principal, rfq_id: uuid.UUID, quote_id: uuid.UUID, now: datetime
    ) -> Rfq:
        """Withdraw my live quote."""
        rfq = await self._load(rfq_id)
        await self._asked(rfq, principal.user_id)
        quote = await self._quote(rfq, quote_id)
        if quote.dealer_id != principal.user_id:
            raise not_found("quote")
        _quote_step(quote, QuoteStep.WITHDRAW, now)
        await self._log(
            rfq, principal.user_id, "withdrawn", {"quote_id": str(quote.id)},
            audience=[principal.user_id],
        )  # fmt: skip
        return rfq

    async def decide(
        self, principal: Principal, rfq_id: uuid.UUID, body: LastLookDecision, now: datetime
    ) -> tuple[OffBookTrade, Market] | None:
        """My last look on my held quote: fill (the trade for the book's writer, at the
        quoted price) or reject (the RFQ reopens). 409 once the hold has run out."""
        rfq = await self._load(rfq_id)
        await self._asked(rfq, principal.user_id)
        quote = await self._held(rfq, principal.user_id)
        assert rfq.hold_until is not None  # held
        if now > rfq.hold_until:
            raise _conflict("last_look_expired", "The last look ran out; the quote is rejected.")
        if body.decision is Decision.FILL:
            market = await self._market(rfq)
            await self._require_parties(rfq, quote.dealer_id)
            return self._trade(rfq, quote, principal.user_id, market), market
        await self._reject_held(rfq, quote, principal.user_id, body.reason or "rejected", now)
        return None

    # -- the venue ------------------------------------------------------------------------

    async def due(self, now: datetime) -> list[uuid.UUID]:
        """RFQs with something due at `now`: an expiry, a last look run out, a quote lapsed."""
        lapsed = select(RfqQuote.rfq_id).where(
            RfqQuote.status == QuoteStatus.LIVE.value, RfqQuote.valid_until <= now
        )
        query = select(Rfq.id).where(
            or_(
                (Rfq.status == RfqStatus.OPEN.value) & (Rfq.expires_at <= now),
                (Rfq.status == RfqStatus.LAST_LOOK.value) & (Rfq.hold_until < now),
                (Rfq.status == RfqStatus.OPEN.value) & Rfq.id.in_(lapsed),
            )
        )
        return list(await self._session.scalars(query.order_by(Rfq.id)))

    async def advance(self, rfq_id: uuid.UUID, now: datetime) -> bool:
        """Do what is due on one RFQ; whether anything changed."""
        rfq = await self._load(rfq_id)
        changed = False
        if rfq.status == RfqStatus.LAST_LOOK and rfq.hold_until and rfq.hold_until < now:
            assert rfq.held_quote_id is not None
            quote = await self._quote(rfq, rfq.held_quote_id)
            await self._reject_held(rfq, quote, None, "last look timed out", now)
            changed = True
        if rfq.status == RfqStatus.OPEN and rfq.expires_at <= now:
            await self._end(rfq, RfqStep.EXPIRE, Outcome.EXPIRED, None, now)
            return True
        if rfq.status == RfqStatus.OPEN:
            for quote in await self._quotes(rfq):
                if quote.status == QuoteStatus.LIVE and quote.valid_until <= now:
                    _quote_step(quote, QuoteStep.EXPIRE, now)
                    await self._log(
                        rfq, None, "quote_expired", {"quote_id": str(quote.id)},
                        audience=[quote.dealer_id],
                    )  # fmt: skip
                    changed = True
        return changed

    # -- the trade, inside the book writer's transaction -----------------------------------

    async def confirm(self, acceptance: Acceptance, now: datetime) -> None:
        """Refuse the trade unless the RFQ and the quote still stand as when accepted."""
        rfq = await self._load(acceptance.rfq_id)
        quote = await self._quote(rfq, acceptance.quote_id)
        if quote.price_ticks != acceptance.price_ticks:
            raise _conflict("quote_changed", "The quote changed before it could trade.")
        if rfq.status == RfqStatus.LAST_LOOK:
            if rfq.held_quote_id != quote.id or quote.status != QuoteStatus.HELD:
                raise _conflict("quote_not_live", "This quote is not the one held.")
            assert rfq.hold_until is not None
            if now > rfq.hold_until:
                raise _conflict("last_look_expired", "The last look ran out.")
            return
        self._require_open(rfq, now)
        self._require_live(quote, now)

    async def record_trade(self, acceptance: Acceptance, trade: TradeRow, now: datetime) -> None:
        """Mark the RFQ done on the trade, the other quotes closed, and tell every dealer its
        outcome."""
        rfq = await self._load(acceptance.rfq_id)
        quote = await self._quote(rfq, acceptance.quote_id)
        _step(rfq, RfqStep.FILL if rfq.status == RfqStatus.LAST_LOOK else RfqStep.ACCEPT, now)
        if quote.status == QuoteStatus.HELD:
            quote.decided_at, quote.decision = now, Decision.FILL.value
        _quote_step(quote, QuoteStep.FILL, now)
        rfq.held_quote_id = rfq.hold_until = None
        rfq.done_quote_id, rfq.trade_id, rfq.price = quote.id, trade.id, trade.price
        quotes = await self._quotes(rfq)
        for other in quotes:
            if other.status == QuoteStatus.LIVE:
                _quote_step(other, QuoteStep.CLOSE, now)
        asked = await self._asked_dealers(rfq)
        prices = _last_prices(asked, quotes)
        outcomes = lifecycle.outcomes(Side(rfq.side), str(quote.dealer_id), quote.price, prices)
        for dealer in asked:
            dealer.outcome = outcomes[str(dealer.dealer_id)].value
        await self._log(
            rfq,
            acceptance.actor_id,
            "done",
            {
                "quote_id": str(quote.id),
                "trade_id": str(trade.id),
                "trade_seq": trade.trade_seq,
                "price": str(trade.price),
                "quantity": trade.quantity,
                "outcomes": {str(d.dealer_id): d.outcome for d in asked},
            },
            audience=[d.dealer_id for d in asked],
        )

    # -- reads ----------------------------------------------------------------------------

    async def get(self, principal: Principal, rfq_id: uuid.UUID) -> Rfq:
        """An RFQ the caller takes part in (compliance and admins: any); 404 otherwise."""
        rfq = await self._session.get(Rfq, rfq_id)
        if rfq is None or await self._seat(principal, rfq) is None:
            raise not_found("rfq")
        return rfq

    async def search(
        self,
        principal: Principal,
        *,
        limit: int,
        cursor: str | None,
        seat: RfqRole | None = None,
        status: RfqStatus | None = None,
        instrument_id: uuid.UUID | None = None,
    ) -> tuple[list[Rfq], str | None]:
        """RFQs I asked for or was asked on (as `seat` only, when given), newest first;
        compliance and admins see every RFQ with `seat=observer`."""
        me = principal.user_id
        asked = select(RfqDealer.rfq_id).where(RfqDealer.dealer_id == me)
        if seat is RfqRole.OBSERVER:
            if not principal.has_role(*_OBSERVERS):
                raise Forbidden(code="auth.forbidden", detail="Only compliance sees every RFQ.")
            query = select(Rfq)
        elif seat is RfqRole.REQUESTER:
            query = select(Rfq).where(Rfq.requester_id == me)
        elif seat is RfqRole.DEALER:
            query = select(Rfq).where(Rfq.id.in_(asked))
        else:
            query = select(Rfq).where(or_(Rfq.requester_id == me, Rfq.id.in_(asked)))
        if status is not None:
            query = query.where(Rfq.status == status.value)
        if instrument_id is not None:
            query = query.where(Rfq.instrument_id == instrument_id)
        before = cursor_value(cursor, "before", as_uuid)
        if before is not None:
            query = query.where(Rfq.id < before)
        rows = list(await self._session.scalars(query.order_by(Rfq.id.desc()).limit(limit + 1)))
        more = len(rows) > limit
        return rows[:limit], encode_cursor({"before": str(rows[limit - 1].id)}) if more else None

    async def views(self, principal: Principal, rfqs: list[Rfq]) -> list[RfqOut]:
        """Each RFQ as the caller may see it."""
        if not rfqs:
            return []
        ids = [rfq.id for rfq in rfqs]
        quotes = list(
            await self._session.scalars(
                select(RfqQuote).where(RfqQuote.rfq_id.in_(ids)).order_by(RfqQuote.id)
            )
        )
        asked = list(
            await self._session.scalars(
                select(RfqDealer).where(RfqDealer.rfq_id.in_(ids)).order_by(RfqDealer.asked_at)
            )
        )
        instruments = {
            i.id: i
            for i in await InstrumentService(self._session).find(
                ids={r.instrument_id for r in rfqs}
            )
        }
        cards = await user_cards(
            self._session,
            {d.dealer_id for d in asked} | {r.requester_id for r in rfqs},
        )
        return [
            _view(
                rfq,
                await self._seat(principal, rfq),
                principal.user_id,
                instruments[rfq.instrument_id],
                [q for q in quotes if q.rfq_id == rfq.id],
                [d for d in asked if d.rfq_id == rfq.id],
                cards,
            )
            for rfq in rfqs
        ]

    async def view_for(
        self, user_id: uuid.UUID, roles: frozenset[Role], rfq_id: uuid.UUID
    ) -> RfqOut:
        """One RFQ as one user sees it (the `rfq` channel)."""
        principal = Principal(user_id=user_id, roles=roles)
        [out] = await self.views(principal, [await self.get(principal, rfq_id)])
        return out

    async def events(self, principal: Principal, rfq_id: uuid.UUID) -> list[RfqEventOut]:
        """The RFQ's audit trail (its requester, compliance and admins)."""
        rfq = await self.get(principal, rfq_id)
        if rfq.requester_id != principal.user_id and not principal.has_role(*_OBSERVERS):
            raise Forbidden(
                code="auth.forbidden", detail="Only the requester and compliance see the trail."
            )
        rows = await self._session.scalars(
            select(RfqEvent).where(RfqEvent.rfq_id == rfq.id).order_by(RfqEvent.seq)
        )
        return [RfqEventOut.model_validate(row) for row in rows]

    async def dealers(self, principal: Principal) -> list[DealerOut]:
        """Every dealer one may ask (not oneself), with its response and hit rates."""
        dealers = await active_holders(self._session, Role.DEALER)
        dealers.pop(principal.user_id, None)
        if not dealers:
            return []
        rows = await self._session.execute(
            select(
                RfqDealer.dealer_id,
                func.count(),
                func.count(RfqDealer.first_quoted_at),
                func.sum(case((RfqDealer.outcome == Outcome.DONE.value, 1), else_=0)),
                func.avg(RfqDealer.response_ms),
            )
            .where(RfqDealer.dealer_id.in_(list(dealers)))
            .group_by(RfqDealer.dealer_id)
        )
        stats = {row[0]: row[1:] for row in rows}
        out = []
        for dealer_id, card in dealers.items():
            asked, quoted, done, average = stats.get(dealer_id, (0, 0, 0, None))
            out.append(
                DealerOut(
                    id=dealer_id,
                    name=card.display_name,
                    asked=asked,
                    quoted=quoted,
                    done=int(done or 0),
                    response_rate=_percent(quoted, asked),
                    hit_rate=_percent(int(done or 0), quoted),
                    average_response_ms=None if average is None else round(average),
                )
            )
        return out

    # -- limits ---------------------------------------------------------------------------

    async def limits(self) -> list[LimitOut]:
        """Every RFQ limit set (the venue's defaults are settings)."""
        rows = await self._session.scalars(
            select(RfqLimit).order_by(RfqLimit.scope, RfqLimit.subject_id)
        )
        return [LimitOut.model_validate(row) for row in rows]

    async def set_limit(self, principal: Principal, body: LimitSet, now: datetime) -> LimitOut:
        """Set (or, with both limits None, remove) one subject's RFQ limits."""
        row = await self._session.get(RfqLimit, (body.scope.value, body.subject_id))
        if body.max_quantity is None and body.max_open is None:
            if row is not None:
                await self._session.delete(row)
        else:
            if row is None:
                row = RfqLimit(scope=body.scope.value, subject_id=body.subject_id)
                self._session.add(row)
            row.max_quantity, row.max_open = body.max_quantity, body.max_open
            row.updated_by, row.updated_at = principal.user_id, now
        await self._session.flush()
        return LimitOut(
            scope=body.scope,
            subject_id=body.subject_id,
            max_quantity=body.max_quantity,
            max_open=body.max_open,
            updated_by=principal.user_id,
            updated_at=now,
        )

    # -- helpers --------------------------------------------------------------------------

    async def _load(self, rfq_id: uuid.UUID) -> Rfq:
        """An RFQ, locked for this transaction."""
        rfq = await self._session.get(Rfq, rfq_id, with_for_update=True, populate_existing=True)
        if rfq is None:
            raise not_found("rfq")
        return rfq

    async def _mine(self, principal: Principal, rfq_id: uuid.UUID) -> Rfq:
        """One of my RFQs, locked (404 for anyone else's)."""
        rfq = await self._load(rfq_id)
        if rfq.requester_id != principal.user_id:
            raise not_found("rfq")
        return rfq

    async def _asked(self, rfq: Rfq, dealer_id: uuid.UUID) -> RfqDealer:
        """The dealer's place on the RFQ (404 if it was not asked)."""
        asked = await self._session.get(RfqDealer, (rfq.id, dealer_id))
        if asked is None:
            raise not_found("rfq")
        return asked

    async def _asked_dealers(self, rfq: Rfq) -> list[RfqDealer]:
        return list(
            await self._session.scalars(select(RfqDealer).where(RfqDealer.rfq_id == rfq.id))
        )

    async def _seat(self, principal: Principal, rfq: Rfq) -> RfqRole | None:
        if rfq.requester_id == principal.user_id:
            return RfqRole.REQUESTER
        if await self._session.get(RfqDealer, (rfq.id, principal.user_id)) is not None:
            return RfqRole.DEALER
        return RfqRole.OBSERVER if principal.has_role(*_OBSERVERS) else None

    async def _quote(self, rfq: Rfq, quote_id: uuid.UUID) -> RfqQuote:
        quote = await self._session.get(RfqQuote, quote_id, populate_existing=True)
        if quote is None or quote.rfq_id != rfq.id:
            raise not_found("quote")
        return quote

    async def _quotes(self, rfq: Rfq, dealer_id: uuid.UUID | None = None) -> list[RfqQuote]:
        query = select(RfqQuote).where(RfqQuote.rfq_id == rfq.id)
        if dealer_id is not None:
            query = query.where(RfqQuote.dealer_id == dealer_id)
        return list(await self._session.scalars(query.order_by(RfqQuote.id)))

    async def _held(self, rfq: Rfq, dealer_id: uuid.UUID) -> RfqQuote:
        """The dealer's quote held for its last look (409 if none is)."""
        if rfq.status != RfqStatus.LAST_LOOK or rfq.held_quote_id is None:
            raise _conflict("not_held", "No quote of this RFQ is waiting for a last look.")
        quote = await self._quote(rfq, rfq.held_quote_id)
        if quote.dealer_id != dealer_id:
            raise _conflict("not_held", "The quote held is not yours.")
        return quote

    async def _market(self, rfq: Rfq) -> Market:
        instrument = await InstrumentService(self._session).get(None, rfq.instrument_id)
        require_tradable(instrument, prefix="rfq")
        return await market_of(self._session, instrument)

    @staticmethod
    def _require_open(rfq: Rfq, now: datetime) -> None:
        if rfq.status != RfqStatus.OPEN:
            raise _conflict("not_open", f"This RFQ is {rfq.status}.")
        if now >= rfq.expires_at:
            raise _conflict("expired", "This RFQ has expired.")

    @staticmethod
    def _require_live(quote: RfqQuote, now: datetime) -> None:
        if quote.status != QuoteStatus.LIVE:
            raise _conflict("quote_not_live", f"This quote is {quote.status}.")
        if now >= quote.valid_until:
            raise _conflict("quote_expired", "This quote is no longer valid.")

    async def _require_backing(
        self, rfq: Rfq, dealer_id: uuid.UUID, market: Market, ticks: int
    ) -> None:
        """A firm quote must be one the dealer can settle now: the units it would sell, or
        the cash (dirty amount and fee) it would pay. Settlement checks again, exactly."""
        ledger = LedgerService(self._session)
        owner = Owner.user(dealer_id)
        if Side(rfq.side) is Side.BUY:  # the dealer sells
            held = await ledger.balance(AccountKey(owner, market.isin, Bucket.AVAILABLE))
            needed, what = rfq.quantity, "units"
        else:
            held = await ledger.balance(AccountKey(owner, market.currency, Bucket.AVAILABLE))
            cash = trade_cash(
                market.terms,
                market.settlement_date(trade_date()),
                rfq.quantity,
                market.clean_price(ticks),
                market.scale,
            )
            needed, what = cash.total + market.fee(cash.principal, market.maker_fee_bps), "cash"
        if held < needed:
            raise _refuse(
                "quote_not_backed",
                f"A firm quote needs the {what} to settle it: {needed} available, you have {held}.",
                required=needed,
                available=held,
            )

    async def _require_parties(self, rfq: Rfq, dealer_id: uuid.UUID) -> None:
        """Both sides must still be KYC verified to trade."""
        checks = KycChecks(self._session)
        await checks.require_verified(rfq.requester_id)
        try:
            await checks.require_verified(dealer_id)
        except Forbidden as exc:
            raise _conflict("dealer_not_eligible", "This dealer cannot trade now.") from exc

    def _trade(
        self, rfq: Rfq, quote: RfqQuote, actor_id: uuid.UUID, market: Market
    ) -> OffBookTrade:
        buying = Side(rfq.side) is Side.BUY
        return OffBookTrade(
            buyer_id=rfq.requester_id if buying else quote.dealer_id,
            seller_id=quote.dealer_id if buying else rfq.requester_id,
            quantity=rfq.quantity,
            price_ticks=quote.price_ticks,
            aggressor_side=OrderSide(rfq.side),
            venue=Venue.RFQ,
            venue_ref=rfq.id,
            deal=Acceptance(self._settings, rfq.id, quote.id, quote.price_ticks, actor_id),
        )

    async def _reject_held(
        self, rfq: Rfq, quote: RfqQuote, actor_id: uuid.UUID | None, reason: str,
        now: datetime,
    ) -> None:  # fmt: skip
        held_ms = None if quote.held_at is None else int((now - quote.held_at) / _MS)
        _quote_step(quote, QuoteStep.REJECT, now)
        quote.decided_at, quote.decision, quote.decision_reason = now, "reject", reason
        _step(rfq, RfqStep.REJECT, now)
        rfq.held_quote_id = rfq.hold_until = None
        await self._log(
            rfq,
            actor_id,
            "last_look_rejected",
            {"quote_id": str(quote.id), "reason": reason, "held_ms": held_ms},
            audience=[quote.dealer_id],
        )

    async def _end(
        self, rfq: Rfq, step: RfqStep, outcome: Outcome, actor_id: uuid.UUID | None,
        now: datetime,
    ) -> None:  # fmt: skip
        """Expire or cancel: every live quote closes and every dealer learns `outcome`."""
        _step(rfq, step, now)
        for quote in await self._quotes(rfq):
            if quote.status == QuoteStatus.LIVE:
                _quote_step(quote, QuoteStep.CLOSE, now)
        asked = await self._asked_dealers(rfq)
        for dealer in asked:
            dealer.outcome = outcome.value
        await self._log(
            rfq, actor_id, rfq.status, {}, audience=[dealer.dealer_id for dealer in asked]
        )

    async def _dealers_to_ask(
        self, requester: uuid.UUID, chosen: Collection[uuid.UUID] | None
    ) -> list[uuid.UUID]:
        dealers = await active_holders(self._session, Role.DEALER)
        dealers.pop(requester, None)
        if not chosen:
            if not dealers:
                raise _refuse("no_dealers", "There is no dealer to ask.", "body.dealer_ids")
            return list(dealers)
        unknown = [str(d) for d in chosen if d not in dealers]
        if unknown:
            raise _refuse(
                "unknown_dealer",
                "Not dealers you can ask: " + ", ".join(unknown),
                "body.dealer_ids",
                dealers=unknown,
            )
        return list(dict.fromkeys(chosen))

    async def _check_request_limits(
        self, requester: uuid.UUID, instrument_id: uuid.UUID, quantity: int
    ) -> None:
        mine = await self._limits(LimitScope.REQUESTER, requester)
        bond = await self._limits(LimitScope.INSTRUMENT, instrument_id)
        for limits, whose in ((mine, "your"), (bond, "this bond's")):
            if limits.max_quantity is not None and quantity > limits.max_quantity:
                raise _refuse(
                    "max_quantity_exceeded",
                    f"{quantity} units exceeds {whose} RFQ limit of {limits.max_quantity}.",
                    "body.quantity",
                    limit=limits.max_quantity,
                )
        for limits, condition, whose in (
            (mine, Rfq.requester_id == requester, "you"),
            (bond, Rfq.instrument_id == instrument_id, "this bond"),
        ):
            if limits.max_open is None:
                continue
            open_now = await self._session.scalar(
                select(func.count())
                .select_from(Rfq)
                .where(condition, Rfq.status.in_([s.value for s in LIVE_RFQ_STATUSES]))
            )
            if (open_now or 0) >= limits.max_open:
                raise _refuse(
                    "too_many_open",
                    f"{whose.capitalize()} already {'have' if whose == 'you' else 'has'} "
                    f"{open_now} open RFQs, the most allowed.",
                    limit=limits.max_open,
                )

    async def _limits(self, scope: LimitScope, subject_id: uuid.UUID) -> Limits:
        row = await self._session.get(RfqLimit, (scope.value, subject_id))
        requester = scope is LimitScope.REQUESTER
        default = Limits(
            self._settings.rfq_max_quantity if requester else None,
            self._settings.rfq_max_open_per_requester if requester else None,
        )
        if row is None:
            return default
        return Limits(
            row.max_quantity if row.max_quantity is not None else default.max_quantity,
            row.max_open if row.max_open is not None else default.max_open,
        )

    async def _log(
        self,
        rfq: Rfq,
        actor_id: uuid.UUID | None,
        action: str,
        data: dict[str, object],
        *,
        audience: Iterable[uuid.UUID],
    ) -> None:
        """Append to the RFQ's audit trail and tell its audience (and the requester) that it
        changed, on the `rfq` channel."""
        rfq.seq += 1
        now = utcnow()
        self._session.add(
            RfqEvent(rfq_id=rfq.id, seq=rfq.seq, occurred_at=now, actor_id=actor_id,
                     action=action, data=data)
        )  # fmt: skip
        users = dict.fromkeys([rfq.requester_id, *audience])
        self._record(
            f"rfq.{action}.v1",
            {
                "rfq_id": str(rfq.id),
                "seq": rfq.seq,
                "status": rfq.status,
                "audience": [str(user) for user in users],
            },
        )


_ACTIVE = frozenset({QuoteStatus.LIVE.value, QuoteStatus.HELD.value})
_MS = timedelta(milliseconds=1)


@dataclass(frozen=True, slots=True)
class Acceptance:
    """An accepted quote on its way through the book's writer (an `OffBookDeal`)."""

    settings: Settings
    rfq_id: uuid.UUID
    quote_id: uuid.UUID
    price_ticks: int
    actor_id: uuid.UUID

    async def confirm(self, session: AsyncSession) -> None:
        """Refuse unless the RFQ and the quote still stand."""
        await RfqService(session, self.settings).confirm(self, utcnow())

    async def record(self, session: AsyncSession, trade: TradeRow, record: Recorder) -> None:
        """Mark the RFQ done on `trade`, with the dealers' outcomes."""
        await RfqService(session, self.settings, record).record_trade(self, trade, utcnow())


def _percent(part: int, whole: int) -> Decimal | None:
    return None if not whole else (Decimal(100 * part) / whole).quantize(_PERCENT)


def _last_prices(asked: list[RfqDealer], quotes: list[RfqQuote]) -> list[DealerPrice]:
    """Each asked dealer's last price (quotes are in the order given)."""
    last: dict[uuid.UUID, Decimal] = {}
    for quote in quotes:
        last[quote.dealer_id] = quote.price
    return [DealerPrice(str(d.dealer_id), last.get(d.dealer_id)) for d in asked]


def _view(
    rfq: Rfq,
    seat: RfqRole | None,
    me: uuid.UUID,
    instrument: Instrument,
    quotes: list[RfqQuote],
    asked: list[RfqDealer],
    cards: dict[uuid.UUID, UserCard],
) -> RfqOut:
    """An RFQ as `me`, in `seat`, may see it."""
    assert seat is not None
    dealer = seat is RfqRole.DEALER

    def name(user_id: uuid.UUID) -> str:
        card = cards.get(user_id)
        return card.display_name if card else ""

    shown = [
        q for q in quotes
        if (q.dealer_id == me if dealer else q.status != QuoteStatus.REPLACED.value)
    ]  # fmt: skip
    outcome: Outcome | None = None
    if dealer:
        mine = next((d for d in asked if d.dealer_id == me), None)
        outcome = Outcome(mine.outcome) if mine and mine.outcome else None
    won = not dealer or outcome is Outcome.DONE  # who may see the trade
    held = not dealer or any(q.id == rfq.held_quote_id for q in shown)
    cover = None
    if rfq.status == RfqStatus.DONE and rfq.price is not None and won:
        winner = next((q.dealer_id for q in quotes if q.id == rfq.done_quote_id), None)
        cover = lifecycle.cover_price(
            Side(rfq.side), str(winner), rfq.price, _last_prices(asked, quotes)
        )
    requester_shown = not dealer or rfq.disclosed
    return RfqOut(
        id=rfq.id,
        seq=rfq.seq,
        instrument_id=rfq.instrument_id,
        isin=instrument.isin,
        side=Side(rfq.side),
        quantity=rfq.quantity,
        disclosed=rfq.disclosed,
        status=RfqStatus(rfq.status),
        expires_at=rfq.expires_at,
        created_at=rfq.created_at,
        ended_at=rfq.ended_at,
        role=seat,
        requester_id=rfq.requester_id if requester_shown else None,
        requester_name=name(rfq.requester_id) if requester_shown else None,
        dealers=[]
        if dealer
        else [
            RfqDealerOut(
                dealer_id=d.dealer_id,
                dealer_name=name(d.dealer_id),
                first_quoted_at=d.first_quoted_at,
                outcome=Outcome(d.outcome) if d.outcome else None,
            )
            for d in asked
        ],
        quotes=[
            QuoteOut(
                id=q.id,
                rfq_id=q.rfq_id,
                dealer_id=q.dealer_id,
                dealer_name=name(q.dealer_id),
                price=q.price,
                firm=q.firm,
                valid_until=q.valid_until,
                last_look_ms=q.last_look_ms,
                status=QuoteStatus(q.status),
                counter_price=q.counter_price,
                countered_at=q.countered_at,
                held_at=q.held_at,
                decided_at=q.decided_at,
                decision=q.decision,
                decision_reason=q.decision_reason,
                created_at=q.created_at,
            )
            for q in shown
        ],
        hold_until=rfq.hold_until if held else None,
        price=rfq.price if won else None,
        trade_id=rfq.trade_id if won else None,
        outcome=outcome,
        cover_price=cover,
    )

"""Corporate action use cases: events from the schedule and from issuers, running them, and
what holders were and will be paid.

Running an event (the scheduler's job, or an admin's `run`) does what is due on `today`, in
the order below; each step changes the event's status once (see :mod:`.rules`):

1. from the record date of a redemption or a call, trading in the bond is suspended: a
   buyer could only receive units about to be retired without payment;
2. once the record date has closed, the register is read: each holder's units as settled at
   its close (ledger holdings, available and locked, minus what trades settling after it
   delivered) become entitlements, with gross, tax and net -> `entitled`. The issuer's own
   holding is left out: units it has not sold (or bought back) are owed to nobody. Where
   the bond has a second register (a tokenized bond's, on chain; see :mod:`.register`), it
   is read at the same close and must agree with the ledger's holder for holder: if it does
   not, nobody is entitled -> `held`, with the differences in the reason and the audit log,
   until operations reconcile the two and an admin runs the event again;
3. from the payment date, the issuer's available cash pays every entitlement, one ledger
   entry per holder (reference `ca:{action}:{user}`, the tax to the tax-withheld account); a
   redemption or call also retires every available unit to the issuance account and
   matures the bond -> `paid`. If the cash cannot pay every holder in full, nobody is paid:
   -> `defaulted`, and the instrument is flagged.

Crash safety: one run of one event is one transaction, holding the event's row (PostgreSQL:
`FOR UPDATE`, the job skipping a row another process holds; SQLite: one writer at a time).
Interrupted anywhere, it rolls back whole (nobody was paid, the status is unchanged) and
the next run redoes the step. All holders are paid in that one transaction rather than one
commit each, because a payment is all or nothing: a per-holder commit could leave the issuer
unable to pay the rest after some were paid. The unique entitlement per (event, holder) and
the unique ledger reference per payment are the backstop: no code path can pay twice.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import structlog
from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from liquibond.analytics import INDIA_GSEC, AnalyticsError, BondTerms, get_calendar
from liquibond.config import Settings
from liquibond.corporate_actions.models import CorporateAction, Entitlement
from liquibond.corporate_actions.register import CrossCheck, Register, cross_check
from liquibond.corporate_actions.rules import (
    OPEN_STATUSES,
    REDEEMING,
    UNREAD,
    ActionKind,
    ActionStatus,
    Amounts,
    KeyDates,
    Step,
    accrual_start,
    call_amounts,
    due_amounts,
    entitles,
    is_business_day,
    key_dates,
    next_status,
    payable,
    scheduled_dues,
)
from liquibond.corporate_actions.schemas import ActionCreate
from liquibond.identity.models import Role
from liquibond.identity.service import Principal
from liquibond.instruments.lifecycle import InstrumentAction
from liquibond.instruments.models import Instrument, InstrumentStatus
from liquibond.instruments.service import InstrumentService
from liquibond.ledger.entries import ISSUANCE, TAX_WITHHELD, AccountKey, EntryDraft, Leg, Owner
from liquibond.ledger.models import Bucket
from liquibond.ledger.service import InsufficientFunds, LedgerService
from liquibond.platform.audit import record_audit
from liquibond.platform.db import utcnow
from liquibond.platform.errors import (
    Conflict,
    FieldError,
    Forbidden,
    NotFound,
    Problem,
    Unprocessable,
    not_found,
)
from liquibond.platform.outbox import record_event
from liquibond.platform.schemas import as_str, as_uuid, cursor_value, encode_cursor
from liquibond.trading.settlements import units_settling_after
from liquibond.valuation.service import MARKET_TIME, instrument_terms, trade_date

log = structlog.get_logger(__name__)

#: The venue acting on its own schedule (the corporate-actions job), as an admin no user is
#: behind: its id is the nil UUID, which no user has (user ids are UUIDv7).
VENUE = Principal(uuid.UUID(int=0), frozenset({Role.ADMIN}))

#: How far ahead the schedule's coupons and redemptions become events.
ANNOUNCE_DAYS = 45
#: A payment moves off a holiday by less than this.
_ROLL = timedelta(days=7)
#: Instruments whose schedules pay (their bonds are outstanding).
_ACTIVE = (InstrumentStatus.LISTED, InstrumentStatus.SUSPENDED)
#: Where a holder's units sit: free, locked by their orders, or withdrawn to their own wallet
#: (still theirs, and on chain, so the chain's register counts them too).
_HELD = (Bucket.AVAILABLE, Bucket.LOCKED, Bucket.SELF_CUSTODY)


@dataclass(frozen=True, slots=True)
class Payout:
    """A coupon or redemption paid to a user (minor units of `currency`)."""

    action_id: uuid.UUID
    instrument_id: uuid.UUID
    isin: str
    kind: str  # "coupon" | "redemption" (a call is an early redemption)
    record_date: date
    payment_date: date
    units: int
    gross: int
    tax: int
    net: int
    currency: str


@dataclass(frozen=True, slots=True)
class UpcomingPayment:
    """A coupon or redemption an instrument will pay (`action_id` None: not announced yet)."""

    action_id: uuid.UUID | None
    instrument_id: uuid.UUID
    isin: str
    kind: str  # "coupon" | "redemption"
    record_date: date
    ex_date: date
    payment_date: date
    amount_per_unit: int
    currency: str


@dataclass(frozen=True, slots=True)
class Policy:
    """The venue's settings for corporate actions."""

    tax_percent: Decimal
    call_notice_days: int

    @classmethod
    def from_settings(cls, settings: Settings) -> Policy:
        """The policy configured by `settings`."""
        return cls(settings.coupon_tax_percent, settings.corporate_actions_call_notice_days)


@dataclass(frozen=True, slots=True)
class _Bond:
    """An instrument with its analytics terms, currency scale and register rule."""

    instrument: Instrument
    terms: BondTerms
    scale: int
    government: bool

    def amounts(self, action: CorporateAction, units: int) -> Amounts:
        """What `units` are paid by `action`."""
        if action.kind == ActionKind.CALL:
            assert action.call_price is not None  # a call has a price (database check)
            return call_amounts(
                self.terms, action.payment_date, action.call_price, units, self.scale
            )
        return due_amounts(self.terms, action.due_date, units, self.scale)


def _payout_kind(kind: str) -> str:
    """`coupon` or `redemption` (a call is an early redemption)."""
    return "redemption" if ActionKind(kind) in REDEEMING else "coupon"


class CorporateActionService:
    """Corporate action use cases over one unit of work's session; never commits. With a
    `register`, each event's register is cross-checked with it (see the module docstring)."""

    def __init__(self, session: AsyncSession, register: Register | None = None) -> None:
        self._session = session
        self._register = register

    # -- what holders were and will be paid ---------------------------------------------------

    async def payouts(self, user_id: uuid.UUID, start: date, end: date) -> list[Payout]:
        """What the user was paid, by payment date in `[start, end)`."""
        rows = await self._session.execute(
            select(Entitlement, CorporateAction)
            .join(CorporateAction, CorporateAction.id == Entitlement.action_id)
            .where(
                Entitlement.user_id == user_id,
                Entitlement.paid_at.is_not(None),
                CorporateAction.payment_date >= start,
                CorporateAction.payment_date < end,
            )
            .order_by(CorporateAction.payment_date, CorporateAction.isin, CorporateAction.id)
        )
        return [
            Payout(
                action_id=action.id,
                instrument_id=action.instrument_id,
                isin=action.isin,
                kind=_payout_kind(action.kind),
                record_date=action.record_date,
                payment_date=action.payment_date,
                units=held.units,
                gross=held.gross,
                tax=held.tax,
                net=held.net,
                currency=action.currency,
            )
            for held, action in rows
        ]

    async def upcoming(self, instrument_id: uuid.UUID, until: date) -> list[UpcomingPayment]:
        """What the instrument will pay from today to `until`: its open events and, where
        none exists yet, its schedule (up to a call, if it was called)."""
        today = trade_date()
        instrument = await self._instrument(instrument_id)
        actions = await self._actions_of(instrument_id)
        payments = [
            _upcoming(action)
            for action in actions
            if ActionStatus(action.status) in OPEN_STATUSES
            and today <= action.payment_date <= until
        ]
        if InstrumentStatus(instrument.status) in _ACTIVE:
            bond = await self._bond(instrument)
            payments += [
                _upcoming(action, announced=False)
                for action in self._unannounced(bond, actions, today - _ROLL, until + _ROLL)
                if today <= action.payment_date <= until
            ]
        return sorted(payments, key=lambda p: (p.payment_date, p.kind))

    # -- announcing and reading events ----------------------------------------------------------

    async def announce(
        self, actor: Principal, request: ActionCreate, policy: Policy, today: date
    ) -> CorporateAction:
        """An event announced by the instrument's issuer or an admin: a scheduled coupon or
        redemption, or a call, which cancels whatever the bond would have paid after it."""
        instrument = await InstrumentService(self._session).get(actor, request.instrument_id)
        if instrument.issuer_id != actor.user_id and not actor.has_role(Role.ADMIN):
            raise Forbidden(
                code="corporate_action.not_issuer",
                detail="Only the instrument's issuer or an admin announces its corporate actions.",
            )
        bond = await self._bond(instrument)
        if bond is None or InstrumentStatus(instrument.status) not in _ACTIVE:
            raise Conflict(
                code="corporate_action.instrument_not_active",
                detail=f"{instrument.isin} is {instrument.status}: it pays no coupons.",
            )
        if request.due_date < today:
            raise _invalid("corporate_action.in_the_past", "The date has passed.", "due_date")
        if request.kind is ActionKind.CALL:
            action = await self._call(bond, request, policy, today)
        else:
            action = self._scheduled(bond, request)
        action.created_by = actor.user_id
        if not await self._insert(action):
            raise Conflict(
                code="corporate_action.exists",
                detail=f"A {request.kind.value} of {instrument.isin} due "
                f"{request.due_date} was already announced.",
            )
        if request.kind is ActionKind.CALL:
            await self._cancel_after_call(action)
        await record_audit(
            self._session,
            actor_id=actor.user_id,
            action="corporate_action.announced",
            target=f"corporate_action:{action.id}",
            payload={"isin": action.isin, "kind": action.kind, "due_date": action.due_date},
        )
        return action

    async def search(
        self,
        viewer: Principal,
        *,
        limit: int,
        cursor: str | None,
        instrument_id: uuid.UUID | None,
        status: ActionStatus | None,
        kind: ActionKind | None,
        paid_from: date | None,
        paid_until: date | None,
    ) -> tuple[list[CorporateAction], str | None]:
        """Events of the viewer's instruments (an admin's: all), by payment date."""
        query = (
            select(CorporateAction)
            .order_by(CorporateAction.payment_date, CorporateAction.id)
            .limit(limit + 1)
        )
        if not viewer.has_role(Role.ADMIN):
            query = query.where(CorporateAction.issuer_id == viewer.user_id)
        after = cursor_value(cursor, "date", _as_date)
        after_id = cursor_value(cursor, "id", as_uuid)
        if after is not None and after_id is not None:
            query = query.where(
                or_(
                    CorporateAction.payment_date > after,
                    and_(CorporateAction.payment_date == after, CorporateAction.id > after_id),
                )
            )
        if instrument_id is not None:
            query = query.where(CorporateAction.instrument_id == instrument_id)
        if status is not None:
            query = query.where(CorporateAction.status == status.value)
        if kind is not None:
            query = query.where(CorporateAction.kind == kind.value)
        if paid_from is not None:
            query = query.where(CorporateAction.payment_date >= paid_from)
        if paid_until is not None:
            query = query.where(CorporateAction.payment_date <= paid_until)
        rows = list(await self._session.scalars(query))
        page = rows[:limit]
        if len(rows) <= limit:
            return page, None
        last = page[-1]
        return page, encode_cursor({"date": last.payment_date.isoformat(), "id": str(last.id)})

    async def view(
        self, viewer: Principal, action_id: uuid.UUID
    ) -> tuple[CorporateAction, list[Entitlement]]:
        """An event with its entitlements: all of them for the instrument's issuer and admins;
        for anybody else (holders) an event of a public instrument with their own only."""
        action = await self._session.get(CorporateAction, action_id)
        if action is None:
            raise not_found("corporate_action")
        query = (
            select(Entitlement)
            .where(Entitlement.action_id == action.id)
            .order_by(Entitlement.user_id)
        )
        if action.issuer_id != viewer.user_id and not viewer.has_role(Role.ADMIN):
            try:
                await InstrumentService(self._session).get(viewer, action.instrument_id)
            except NotFound:
                raise not_found("corporate_action") from None
            query = query.where(Entitlement.user_id == viewer.user_id)
        return action, list(await self._session.scalars(query))

    # -- the schedule -------------------------------------------------------------------------

    async def announce_schedules(self, today: date) -> int:
        """Make events of the coupons and redemptions outstanding bonds pay in the next
        `ANNOUNCE_DAYS` days (none after a call); returns how many were new."""
        created = 0
        async for instrument in self._active_instruments():
            try:
                created += await self._announce_schedule(instrument, today)
            except (Problem, AnalyticsError):
                log.warning("corporate_actions.unschedulable", isin=instrument.isin, exc_info=True)
        return created

    async def _announce_schedule(self, instrument: Instrument, today: date) -> int:
        actions = await self._actions_of(instrument.id)
        end = today + timedelta(days=ANNOUNCE_DAYS)
        created = 0
        for action in self._unannounced(await self._bond(instrument), actions, today, end):
            if await self._insert(action):
                created += 1
        return created

    def _unannounced(
        self, bond: _Bond | None, actions: Sequence[CorporateAction], start: date, end: date
    ) -> list[CorporateAction]:
        """New (unsaved) events of the bond's schedule due in `[start, end]` that `actions`
        lack, none after a call; those the calendar cannot date yet are left out."""
        if bond is None:
            return []
        known = {(ActionKind(action.kind), action.due_date) for action in actions}
        called = _called_on(actions)
        events = []
        for due in scheduled_dues(bond.terms, start, end):
            if (due.kind, due.due_date) in known or (called is not None and due.due_date > called):
                continue
            event = self._event(bond, due.kind, due.period_start, due.due_date, due.payment_date)
            if event is not None:
                events.append(event)
        return events

    async def _actions_of(self, instrument_id: uuid.UUID) -> list[CorporateAction]:
        return list(
            await self._session.scalars(
                select(CorporateAction).where(CorporateAction.instrument_id == instrument_id)
            )
        )

    async def due(self, today: date) -> list[uuid.UUID]:
        """Events with a step due on `today`, earliest payment first."""
        query = (
            select(CorporateAction.id)
            .where(
                or_(
                    and_(
                        CorporateAction.status == ActionStatus.SCHEDULED.value,
                        or_(
                            CorporateAction.record_date < today,
                            and_(
                                CorporateAction.record_date == today,
                                CorporateAction.kind.in_([kind.value for kind in REDEEMING]),
                            ),
                        ),
                    ),
                    and_(
                        CorporateAction.status == ActionStatus.ENTITLED.value,
                        CorporateAction.payment_date <= today,
                    ),
                )
            )
            .order_by(CorporateAction.payment_date, CorporateAction.id)
        )
        return list(await self._session.scalars(query))

    # -- running an event ---------------------------------------------------------------------

    async def run(
        self,
        action_id: uuid.UUID,
        today: date,
        actor: Principal,
        policy: Policy,
        *,
        skip_locked: bool = False,
    ) -> CorporateAction | None:
        """Do what is due for the event on `today` (see module docstring); idempotent. With
        `skip_locked`, None when another transaction is running the event."""
        action = await self._session.scalar(
            select(CorporateAction)
            .where(CorporateAction.id == action_id)
            .with_for_update(skip_locked=skip_locked)
            .execution_options(populate_existing=True)
        )
        if action is None:
            if skip_locked:
                return None
            raise not_found("corporate_action")
        if ActionStatus(action.status) not in OPEN_STATUSES:
            return action
        instrument = await self._instrument(action.instrument_id)
        bond = await self._bond(instrument)
        assert bond is not None  # events are only made for bonds that pay coupons
        if ActionStatus(action.status) in UNREAD and today >= action.record_date:
            await self._halt_trading(action, instrument, actor)
            if entitles(action.record_date, today):
                await self._entitle(action, bond, policy)
        if action.status == ActionStatus.ENTITLED and today >= action.payment_date:
            await self._pay(action, instrument, actor)
        return action

    async def _halt_trading(
        self, action: CorporateAction, instrument: Instrument, actor: Principal
    ) -> None:
        """From a redemption's record date the bond no longer trades (the register is
        frozen for good)."""
        if ActionKind(action.kind) in REDEEMING and instrument.status == InstrumentStatus.LISTED:
            await InstrumentService(self._session).act(
                actor,
                instrument.id,
                InstrumentAction.SUSPEND,
                f"Record date {action.record_date} of the {action.kind} paid "
                f"{action.payment_date}: the register is closed.",
            )

    async def _entitle(self, action: CorporateAction, bond: _Bond, policy: Policy) -> None:
        """Read the register as settled at the close of the record date (see module
        docstring) and fix every holder's entitlement."""
        instrument = bond.instrument
        held = dict(await LedgerService(self._session).holders(instrument.isin, _HELD))
        unsettled = await units_settling_after(self._session, instrument.id, action.record_date)
        for user_id, units in unsettled.items():
            held[user_id] = held.get(user_id, 0) - units
        held.pop(instrument.issuer_id, None)
        checked = await self._cross_check(action, held)
        if not checked.agrees:
            await self._checked(action, Step.HOLD, checked)
            log.warning("corporate_actions.register_break", action_id=str(action.id))
            return
        entitlements = []
        for user_id, units in sorted(held.items()):
            if units <= 0:
                continue
            owed = payable(units, bond.amounts(action, units), policy.tax_percent)
            entitlements.append(
                Entitlement(
                    action_id=action.id,
                    user_id=user_id,
                    units=owed.units,
                    interest=owed.interest,
                    principal=owed.principal,
                    gross=owed.gross,
                    tax=owed.tax,
                    net=owed.net,
                )
            )
        self._session.add_all(entitlements)
        action.holders = len(entitlements)
        action.units = sum(e.units for e in entitlements)
        action.gross = sum(e.gross for e in entitlements)
        action.tax = sum(e.tax for e in entitlements)
        await self._checked(action, Step.ENTITLE, checked)

    async def _cross_check(self, action: CorporateAction, held: dict[uuid.UUID, int]) -> CrossCheck:
        """The ledger's register at the record date's close (`held`) against the bond's
        second register, where it has one."""
        other = None
        if self._register is not None:
            other = await self._register.at_close(
                self._session, action.instrument_id, action.record_date, record_close(action)
            )
        return cross_check(held, other, action.issuer_id)

    async def _checked(self, action: CorporateAction, step: Step, checked: CrossCheck) -> None:
        """Take `step` once the registers were compared, auditing what the comparison found
        (where there was a second register to compare with)."""
        data: dict[str, Any] = {}
        if checked.facts:
            await record_audit(
                self._session,
                actor_id=None,
                action="corporate_action.register_" + ("checked" if checked.agrees else "break"),
                target=f"corporate_action:{action.id}",
                payload=checked.facts,
            )
            data["register"] = checked.facts
        self._transition(action, step, checked.reason, **data)

    async def _pay(self, action: CorporateAction, instrument: Instrument, actor: Principal) -> None:
        """Pay every entitlement from the issuer's cash, or nobody (see module docstring)."""
        entitlements = list(
            await self._session.scalars(
                select(Entitlement)
                .where(Entitlement.action_id == action.id)
                .order_by(Entitlement.user_id)
            )
        )
        holder_ids = [str(e.user_id) for e in entitlements]
        required = sum(e.gross for e in entitlements)
        issuer_cash = AccountKey(Owner.user(action.issuer_id), action.currency, Bucket.AVAILABLE)
        kind = _payout_kind(action.kind)
        try:
            async with self._session.begin_nested():
                await self._pay_each(action, entitlements, issuer_cash, kind)
        except InsufficientFunds:
            # Only the issuer's account is debited, so only it can have run short.
            available = await LedgerService(self._session).balance(issuer_cash)
            reason = (
                f"The issuer's available {action.currency} ({available}) does not cover the "
                f"{required} due to {len(holder_ids)} holders; nobody was paid."
            )
            self._transition(
                action,
                Step.DEFAULT,
                reason,
                required=required,
                available=available,
                holder_ids=holder_ids,
            )
            await InstrumentService(self._session).flag_payment_default(
                action.instrument_id, f"{kind.capitalize()} due {action.due_date}: {reason}"
            )
            return
        if ActionKind(action.kind) in REDEEMING:
            await self._retire(action)
            if InstrumentStatus(instrument.status) in _ACTIVE:
                await InstrumentService(self._session).act(
                    actor,
                    action.instrument_id,
                    InstrumentAction.MATURE,
                    f"Redeemed on {action.payment_date}.",
                )
        self._transition(action, Step.PAY, holder_ids=holder_ids)

    async def _pay_each(
        self,
        action: CorporateAction,
        entitlements: Sequence[Entitlement],
        issuer_cash: AccountKey,
        kind: str,
    ) -> None:
        ledger = LedgerService(self._session)
        for held in entitlements:
            legs = [
                Leg(issuer_cash, -held.gross),
                Leg(
                    AccountKey(Owner.user(held.user_id), action.currency, Bucket.AVAILABLE),
                    held.net,
                ),
            ]
            if held.tax:
                legs.append(Leg(AccountKey(TAX_WITHHELD, action.currency, Bucket.SYSTEM), held.tax))
            entry = await ledger.post(
                EntryDraft(
                    kind=kind,
                    description=f"{kind.capitalize()} of {action.isin} paid {action.payment_date} "
                    f"on {held.units} units",
                    legs=tuple(legs),
                    reference=f"ca:{action.id}:{held.user_id}",
                )
            )
            held.entry_id, held.paid_at = entry.id, utcnow()

    async def _retire(self, action: CorporateAction) -> None:
        """Retire every available unit of the redeemed bond to the issuance account (units
        locked by resting sell orders stay with their orders)."""
        ledger = LedgerService(self._session)
        held = await ledger.holders(action.isin, (Bucket.AVAILABLE,))
        if not held:
            return
        legs = [
            Leg(AccountKey(Owner.user(user_id), action.isin, Bucket.AVAILABLE), -units)
            for user_id, units in held
        ]
        legs.append(Leg(AccountKey(ISSUANCE, action.isin, Bucket.SYSTEM), sum(u for _, u in held)))
        await ledger.post(
            EntryDraft(
                kind="redemption",
                description=f"Units of {action.isin} retired on redemption",
                legs=tuple(legs),
                reference=f"ca:{action.id}:retired",
            )
        )

    # -- internals ----------------------------------------------------------------------------

    def _transition(
        self, action: CorporateAction, step: Step, reason: str | None = None, **data: Any
    ) -> None:
        """The one place an event's status changes; records `corporate_action.<status>.v1`."""
        current = ActionStatus(action.status)
        target = next_status(current, step)
        if target is None:
            raise Conflict(
                code="corporate_action.invalid_transition",
                detail=f"Cannot {step.value} a {current.value} corporate action.",
            )
        action.status = target.value
        action.status_reason = reason
        action.updated_at = utcnow()
        self._emit(action, **data)

    def _emit(self, action: CorporateAction, **data: Any) -> None:
        record_event(
            self._session,
            f"corporate_action.{action.status}.v1",
            {
                "action_id": str(action.id),
                "instrument_id": str(action.instrument_id),
                "isin": action.isin,
                "issuer_id": str(action.issuer_id),
                "kind": action.kind,
                "record_date": action.record_date.isoformat(),
                "payment_date": action.payment_date.isoformat(),
                "amount_per_unit": action.amount_per_unit,
                "currency": action.currency,
                "holders": action.holders,
                "gross": action.gross,
                "tax": action.tax,
                "reason": action.status_reason,
                **data,
            },
        )

    async def _insert(self, action: CorporateAction) -> bool:
        """Add a new event; False if the same one exists (also when another transaction
        made it concurrently)."""
        try:
            async with self._session.begin_nested():
                self._session.add(action)
        except IntegrityError:
            return False
        self._emit(action)
        return True

    def _event(
        self, bond: _Bond, kind: ActionKind, period_start: date, due: date, payment: date
    ) -> CorporateAction | None:
        """A new scheduled event, or None where the calendar has no data for its dates."""
        dates = _key_dates(bond, due, payment)
        if dates is None:
            return None
        instrument = bond.instrument
        action = CorporateAction(
            instrument_id=instrument.id,
            isin=instrument.isin,
            issuer_id=instrument.issuer_id,
            kind=kind.value,
            status=ActionStatus.SCHEDULED.value,
            period_start=period_start,
            due_date=due,
            record_date=dates.record_date,
            ex_date=dates.ex_date,
            payment_date=dates.payment_date,
            currency=instrument.currency,
        )
        action.amount_per_unit = bond.amounts(action, 1).gross
        return action

    def _scheduled(self, bond: _Bond, request: ActionCreate) -> CorporateAction:
        """The scheduled coupon or redemption due on the requested date."""
        for due in scheduled_dues(bond.terms, request.due_date, request.due_date):
            if due.kind is request.kind:
                action = self._event(
                    bond, due.kind, due.period_start, due.due_date, due.payment_date
                )
                if action is not None:
                    return action
                raise _no_calendar(bond.instrument.calendar)
        raise _invalid(
            "corporate_action.not_scheduled",
            f"{bond.instrument.isin} has no {request.kind.value} due {request.due_date}.",
            "due_date",
        )

    async def _call(
        self, bond: _Bond, request: ActionCreate, policy: Policy, today: date
    ) -> CorporateAction:
        """A call of the whole issue on a business day before maturity, with notice."""
        instrument, terms = bond.instrument, bond.terms
        called = request.due_date
        if not instrument.issue_date < called < instrument.maturity_date:
            raise _invalid(
                "corporate_action.call_outside_life",
                "A call comes after the issue date and before maturity.",
                "due_date",
            )
        if not is_business_day(terms.calendar, called):
            raise _invalid(
                "corporate_action.not_a_business_day",
                f"{called} is not a {terms.calendar} business day.",
                "due_date",
            )
        open_call = await self._session.scalar(
            select(CorporateAction.id).where(
                CorporateAction.instrument_id == instrument.id,
                CorporateAction.kind == ActionKind.CALL.value,
                CorporateAction.status != ActionStatus.CANCELLED.value,
            )
        )
        if open_call is not None:
            raise Conflict(
                code="corporate_action.already_called",
                detail=f"{instrument.isin} was already called.",
            )
        action = CorporateAction(
            instrument_id=instrument.id,
            isin=instrument.isin,
            issuer_id=instrument.issuer_id,
            kind=ActionKind.CALL.value,
            status=ActionStatus.SCHEDULED.value,
            period_start=accrual_start(terms, called),
            due_date=called,
            currency=instrument.currency,
            call_price=request.call_price,
        )
        dates = _key_dates(bond, called, called)
        if dates is None:
            raise _no_calendar(instrument.calendar)
        notice = timedelta(days=policy.call_notice_days)
        if called - today < notice or dates.record_date <= today:
            raise _invalid(
                "corporate_action.notice_too_short",
                f"A call needs {policy.call_notice_days} days' notice and a record date "
                f"(here {dates.record_date}) after today.",
                "due_date",
            )
        action.record_date, action.ex_date = dates.record_date, dates.ex_date
        action.payment_date = dates.payment_date
        action.amount_per_unit = bond.amounts(action, 1).gross
        return action

    async def _cancel_after_call(self, call: CorporateAction) -> None:
        """Cancel the open events a call makes moot: whatever falls due after it."""
        moot = await self._session.scalars(
            select(CorporateAction).where(
                CorporateAction.instrument_id == call.instrument_id,
                CorporateAction.id != call.id,
                CorporateAction.due_date > call.due_date,
                CorporateAction.status.in_([status.value for status in OPEN_STATUSES]),
            )
        )
        for action in moot:
            self._transition(action, Step.CANCEL, f"The bond is called on {call.due_date}.")

    async def _instrument(self, instrument_id: uuid.UUID) -> Instrument:
        found = await InstrumentService(self._session).find(ids=[instrument_id])
        if not found:
            raise not_found("instrument")
        return found[0]

    async def _bond(self, instrument: Instrument) -> _Bond | None:
        """The instrument's terms; None for a zero-coupon bond (the analytics do not value
        them yet, so they have no scheduled events)."""
        if instrument.coupon_frequency == 0:
            return None
        scale = (await LedgerService(self._session).asset(instrument.currency)).scale
        convention, terms = instrument_terms(instrument, scale)
        return _Bond(instrument, terms, scale, government=convention is INDIA_GSEC)

    async def _active_instruments(self) -> AsyncIterator[Instrument]:
        """Every listed or suspended instrument, a page at a time."""
        service = InstrumentService(self._session)
        for status in _ACTIVE:
            cursor: str | None = None
            while True:
                page, cursor = await service.search(
                    None, limit=200, cursor=cursor, status=status, issuer_id=None, query=None
                )
                for instrument in page:
                    yield instrument
                if cursor is None:
                    break


def record_close(action: CorporateAction) -> datetime:
    """The close of the event's record date: the midnight after it, market time (the job
    reads the register once the market's date is past the record date)."""
    return datetime.combine(action.record_date + timedelta(days=1), time(), tzinfo=MARKET_TIME)


def _called_on(actions: Sequence[CorporateAction]) -> date | None:
    """The date the bond is called on, if a call stands."""
    return next(
        (
            action.due_date
            for action in actions
            if action.kind == ActionKind.CALL and action.status != ActionStatus.CANCELLED
        ),
        None,
    )


def _as_date(value: object) -> date:
    """A date from a cursor value."""
    return date.fromisoformat(as_str(value))


def _upcoming(action: CorporateAction, *, announced: bool = True) -> UpcomingPayment:
    return UpcomingPayment(
        action_id=action.id if announced else None,
        instrument_id=action.instrument_id,
        isin=action.isin,
        kind=_payout_kind(action.kind),
        record_date=action.record_date,
        ex_date=action.ex_date,
        payment_date=action.payment_date,
        amount_per_unit=action.amount_per_unit,
        currency=action.currency,
    )


def _key_dates(bond: _Bond, due: date, payment: date) -> KeyDates | None:
    """The key dates on the instrument's calendar; None where it has no data for them."""
    calendar = get_calendar(bond.instrument.calendar)
    try:
        return key_dates(due, payment, calendar, government=bond.government)
    except AnalyticsError:
        return None


def _no_calendar(code: str) -> Unprocessable:
    return _invalid(
        "corporate_action.no_calendar",
        f"The {code} calendar has no holidays for that year yet.",
        "due_date",
    )


def _invalid(code: str, detail: str, field: str) -> Unprocessable:
    return Unprocessable(
        code=code, detail=detail, errors=[FieldError(f"body.{field}", detail, code.split(".")[-1])]
    )

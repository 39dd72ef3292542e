"""Instrument use cases: issuers draft and submit, admins approve (list), suspend, resume."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import ValidationError
from pydantic_core import PydanticCustomError
from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from liquibond.identity.models import Role
from liquibond.identity.service import Principal, user_cards
from liquibond.instruments.lifecycle import PUBLIC_STATUSES, InstrumentAction, next_status
from liquibond.instruments.models import Instrument, InstrumentStatus
from liquibond.instruments.schemas import (
    MARKET_PARAMETERS,
    HolderOut,
    HoldersOut,
    InstrumentCreate,
    InstrumentOut,
    InstrumentUpdate,
    SettlementCycle,
    check_session,
)
from liquibond.ledger.entries import ISSUANCE, AccountKey, Owner
from liquibond.ledger.models import AssetKind, Bucket
from liquibond.ledger.service import LedgerService
from liquibond.platform.audit import record_audit
from liquibond.platform.db import utcnow
from liquibond.platform.errors import (
    Conflict,
    FieldError,
    Forbidden,
    Unprocessable,
    not_found,
)
from liquibond.platform.outbox import record_event
from liquibond.platform.schemas import as_str, cursor_value, encode_cursor

#: Who may take each action: the owning issuer submits; admins do the rest.
_ADMIN_ACTIONS = frozenset(
    {
        InstrumentAction.APPROVE,
        InstrumentAction.REJECT,
        InstrumentAction.SUSPEND,
        InstrumentAction.RESUME,
        InstrumentAction.MATURE,
        InstrumentAction.DELIST,
    }
)
_REASON_REQUIRED = frozenset(
    {InstrumentAction.REJECT, InstrumentAction.SUSPEND, InstrumentAction.DELIST}
)
#: Market parameters an admin may change on a listed bond; the economic terms are fixed.
_LISTED_EDITABLE = frozenset(
    {"name", "tick_size", "credit_rating", "rating_agency", "min_lot", "lot_increment"}
    | MARKET_PARAMETERS
)


def to_out(instrument: Instrument) -> InstrumentOut:
    """The API view of an instrument."""
    fields: dict[str, Any] = {
        column: getattr(instrument, column)
        for column in InstrumentOut.model_fields
        if column != "settlement_cycle"
    }
    return InstrumentOut.model_validate(
        {**fields, "settlement_cycle": f"T+{instrument.settlement_cycle_days}"}
    )


class InstrumentService:
    """Instrument use cases over one unit of work's session; never commits."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def draft(self, actor: Principal, request: InstrumentCreate) -> Instrument:
        """An issuer drafts a bond; it stays private until listed."""
        if not actor.has_role(Role.ISSUER):
            raise Forbidden(code="auth.forbidden_role", detail="Only issuers draft instruments.")
        if await self._session.scalar(select(Instrument.id).where(Instrument.isin == request.isin)):
            raise Conflict(code="instrument.isin_taken", detail=f"{request.isin} already exists.")
        currency = await LedgerService(self._session).asset(request.currency)
        if currency.kind != AssetKind.CURRENCY:
            raise Unprocessable(
                code="instrument.not_a_currency", detail=f"{request.currency} is not a currency."
            )
        terms = request.model_dump(exclude={"settlement_cycle"})
        instrument = Instrument(
            **terms,
            settlement_cycle_days=request.settlement_cycle.days,
            issuer_id=actor.user_id,
            status=InstrumentStatus.DRAFT.value,
        )
        self._session.add(instrument)
        await self._session.flush()
        await record_audit(
            self._session,
            actor_id=actor.user_id,
            action="instrument.drafted",
            target=f"instrument:{instrument.id}",
            payload={"isin": instrument.isin},
        )
        return instrument

    async def get(self, viewer: Principal | None, instrument_id: uuid.UUID) -> Instrument:
        """An instrument the viewer may see: public once listed; before, its issuer and admins."""
        instrument = await self._session.get(Instrument, instrument_id)
        if instrument is None or not _visible(instrument, viewer):
            raise not_found("instrument")
        return instrument

    async def find(
        self, *, ids: Collection[uuid.UUID] = (), isins: Collection[str] = ()
    ) -> list[Instrument]:
        """The instruments with any of these ids or ISINs (for internal use: no visibility
        check; drafts are never traded or held, so callers never ask for one)."""
        if not ids and not isins:
            return []
        query = select(Instrument).where(
            or_(Instrument.id.in_(list(ids)), Instrument.isin.in_(list(isins)))
        )
        return list(await self._session.scalars(query))

    async def on_market(self) -> list[Instrument]:
        """Every instrument with a market now: listed or suspended."""
        statuses = (InstrumentStatus.LISTED.value, InstrumentStatus.SUSPENDED.value)
        return list(
            await self._session.scalars(select(Instrument).where(Instrument.status.in_(statuses)))
        )

    async def holders(self, actor: Principal, instrument_id: uuid.UUID) -> HoldersOut:
        """The bond's register of holders: for its issuer, admins and compliance."""
        instrument = await self.get(actor, instrument_id)
        if instrument.issuer_id != actor.user_id and not actor.has_role(
            Role.ADMIN, Role.COMPLIANCE
        ):
            raise Forbidden(
                code="auth.forbidden_role",
                detail="Only the bond's issuer, admins and compliance see its holders.",
            )
        held = await LedgerService(self._session).holders(
            instrument.isin, (Bucket.AVAILABLE, Bucket.LOCKED, Bucket.SELF_CUSTODY)
        )
        cards = await user_cards(self._session, [user_id for user_id, _ in held])
        size = instrument.issue_size_units
        return HoldersOut(
            instrument_id=instrument.id,
            isin=instrument.isin,
            issue_size_units=size,
            held_units=sum(units for _, units in held),
            holders=[
                HolderOut(
                    user_id=user_id,
                    display_name=cards[user_id].display_name,
                    units=units,
                    percent_of_issue=(Decimal(units) * 100 / size).quantize(Decimal("0.0001")),
                )
                for user_id, units in sorted(held, key=lambda holder: (-holder[1], holder[0]))
            ],
        )

    async def search(
        self,
        viewer: Principal | None,
        *,
        limit: int,
        cursor: str | None,
        status: InstrumentStatus | None,
        issuer_id: uuid.UUID | None,
        query: str | None,
    ) -> tuple[list[Instrument], str | None]:
        """Instruments the viewer may see, by ISIN order, filtered, one page at a time."""
        statement = select(Instrument).order_by(Instrument.isin).limit(limit + 1)
        if viewer is None or not viewer.has_role(Role.ADMIN):
            visible: ColumnElement[bool] = Instrument.status.in_([s.value for s in PUBLIC_STATUSES])
            if viewer is not None:
                visible = or_(visible, Instrument.issuer_id == viewer.user_id)
            statement = statement.where(visible)
        after = cursor_value(cursor, "after", as_str)
        if after is not None:
            statement = statement.where(Instrument.isin > after)
        if status is not None:
            statement = statement.where(Instrument.status == status.value)
        if issuer_id is not None:
            statement = statement.where(Instrument.issuer_id == issuer_id)
        if query:
            pattern = query.strip()
            statement = statement.where(
                or_(
                    Instrument.isin.startswith(pattern.upper(), autoescape=True),
                    Instrument.name.icontains(pattern, autoescape=True),
                )
            )
        rows = list(await self._session.scalars(statement))
        page = rows[:limit]
        return page, encode_cursor({"after": page[-1].isin}) if len(rows) > limit else None

    async def update(
        self, actor: Principal, instrument_id: uuid.UUID, change: InstrumentUpdate
    ) -> Instrument:
        """Edit a draft (its issuer) or a listed bond's market parameters (an admin)."""
        instrument = await self.get(actor, instrument_id)
        values = change.model_dump(exclude_unset=True)
        status = InstrumentStatus(instrument.status)
        if status is InstrumentStatus.DRAFT and instrument.issuer_id == actor.user_id:
            allowed: frozenset[str] | None = None
        elif status in (InstrumentStatus.LISTED, InstrumentStatus.SUSPENDED) and actor.has_role(
            Role.ADMIN
        ):
            allowed = _LISTED_EDITABLE
        else:
            raise Conflict(
                code="instrument.not_editable",
                detail=f"A {status.value} instrument cannot be edited by you.",
            )
        if allowed is not None and (refused := sorted(set(values) - allowed)):
            raise Conflict(
                code="instrument.not_editable", detail=f"Fixed once listed: {', '.join(refused)}."
            )
        if "settlement_cycle" in values:
            instrument.settlement_cycle_days = SettlementCycle(values.pop("settlement_cycle")).days
        for name, value in values.items():
            setattr(instrument, name, value)
        _check_terms(instrument)
        instrument.updated_at = utcnow()
        await self._session.flush()
        await record_audit(
            self._session,
            actor_id=actor.user_id,
            action="instrument.updated",
            target=f"instrument:{instrument.id}",
            payload={k: str(v) for k, v in change.model_dump(exclude_unset=True).items()},
        )
        return instrument

    async def act(
        self,
        actor: Principal,
        instrument_id: uuid.UUID,
        action: InstrumentAction,
        reason: str | None,
    ) -> Instrument:
        """Take a lifecycle action; the only way an instrument's status changes."""
        instrument = await self.get(actor, instrument_id)
        if action in _ADMIN_ACTIONS:
            if not actor.has_role(Role.ADMIN):
                raise Forbidden(code="auth.forbidden_role", detail=f"Only admins {action.value}.")
        elif action is InstrumentAction.ISSUE:
            _require_issuer_or_admin(instrument, actor)
        elif instrument.issuer_id != actor.user_id:
            raise Forbidden(code="instrument.not_issuer", detail="Only the issuer submits.")
        if action in _REASON_REQUIRED and not reason:
            raise Unprocessable(
                code="instrument.reason_required", detail=f"Say why you {action.value} it."
            )
        current = InstrumentStatus(instrument.status)
        target = next_status(current, action)
        if target is None:
            raise Conflict(
                code="instrument.invalid_transition",
                detail=f"Cannot {action.value} a {current.value} instrument.",
            )
        if action is InstrumentAction.APPROVE:
            await self._list(instrument, actor)
        elif action is InstrumentAction.ISSUE:
            await self._register(instrument)
        instrument.status = target.value
        instrument.status_reason = reason
        instrument.updated_at = utcnow()
        await self._session.flush()
        await record_audit(
            self._session,
            actor_id=actor.user_id,
            action=f"instrument.{action.value}",
            target=f"instrument:{instrument.id}",
            payload={"from": current.value, "to": target.value, "reason": reason},
        )
        record_event(
            self._session,
            f"instrument.{target.value}.v1",
            {
                "instrument_id": str(instrument.id),
                "isin": instrument.isin,
                "status": target.value,
                "reason": reason,
            },
        )
        return instrument

    async def issue_at_auction(
        self,
        actor: Principal,
        instrument_id: uuid.UUID,
        *,
        coupon_rate: Decimal,
        units: int,
        reason: str,
    ) -> Instrument:
        """List a new issue sold by a primary auction (its issuer or an admin settling it): the
        coupon is the auction's cut-off yield and the issue size what it allotted. The units
        are not minted to the issuer: the auction's settlement issues them to the winners
        from the issuance account, after this (which registers the bond's ledger asset)."""
        instrument = await self.get(actor, instrument_id)
        _require_issuer_or_admin(instrument, actor)
        current = InstrumentStatus(instrument.status)
        if next_status(current, InstrumentAction.ISSUE) is None:
            raise Conflict(
                code="instrument.invalid_transition",
                detail=f"Cannot issue a {current.value} instrument.",
            )
        if units <= 0:
            raise ValueError("an issue needs units")
        instrument.coupon_rate = coupon_rate
        instrument.issue_size_units = units
        _check_terms(instrument)
        return await self.act(actor, instrument_id, InstrumentAction.ISSUE, reason)

    async def reissue(
        self, actor: Principal, instrument_id: uuid.UUID, units: int, reason: str
    ) -> Instrument:
        """Grow a listed bond's issue by `units` sold in a re-issue (a primary auction of more
        of the same bond), for its issuer or an admin; the caller issues the units to the
        buyers from the issuance account in the same transaction."""
        instrument = await self.get(actor, instrument_id)
        _require_issuer_or_admin(instrument, actor)
        if instrument.status != InstrumentStatus.LISTED:
            raise Conflict(
                code="instrument.not_listed",
                detail=f"{instrument.isin} is {instrument.status}: only a listed bond is "
                "re-issued.",
            )
        if units <= 0:
            raise ValueError("a re-issue needs units")
        instrument.issue_size_units += units
        instrument.updated_at = utcnow()
        await self._session.flush()
        payload = {"units": units, "issue_size_units": instrument.issue_size_units}
        await record_audit(
            self._session,
            actor_id=actor.user_id,
            action="instrument.reissued",
            target=f"instrument:{instrument.id}",
            payload={**payload, "reason": reason},
        )
        record_event(
            self._session,
            "instrument.reissued.v1",
            {"instrument_id": str(instrument.id), "isin": instrument.isin, **payload},
        )
        return instrument

    async def settle_on_chain(self, instrument_id: uuid.UUID) -> None:
        """From now on the bond's trades deliver on chain (it was tokenized)."""
        instrument = await self._session.get(Instrument, instrument_id)
        if instrument is None:
            raise not_found("instrument")
        instrument.settles_on_chain = True
        instrument.updated_at = utcnow()
        await self._session.flush()

    async def settles_on_chain(self, instrument_id: uuid.UUID) -> bool:
        """Whether the bond's trades deliver on chain."""
        return bool(
            await self._session.scalar(
                select(Instrument.settles_on_chain).where(Instrument.id == instrument_id)
            )
        )

    async def flag_payment_default(self, instrument_id: uuid.UUID, reason: str) -> Instrument:
        """Flag the issuer's failure to pay a coupon or redemption in full (the venue's own
        finding, so no actor); the first default's time is kept, later reasons replace it."""
        instrument = await self._session.get(Instrument, instrument_id)
        if instrument is None:
            raise not_found("instrument")
        instrument.payment_default_at = instrument.payment_default_at or utcnow()
        instrument.payment_default_reason = reason[:500]
        instrument.updated_at = utcnow()
        await self._session.flush()
        await record_audit(
            self._session,
            actor_id=None,
            action="instrument.payment_default",
            target=f"instrument:{instrument.id}",
            payload={"reason": reason},
        )
        record_event(
            self._session,
            "instrument.payment_default.v1",
            {"instrument_id": str(instrument.id), "isin": instrument.isin, "reason": reason},
        )
        return instrument

    async def _list(self, instrument: Instrument, actor: Principal) -> None:
        """Listing registers the bond's units as an asset and mints them to the issuer."""
        await self._register(instrument)
        await LedgerService(self._session).move(
            "issuance",
            f"Issuance of {instrument.isin}",
            source=AccountKey(ISSUANCE, instrument.isin, Bucket.SYSTEM),
            destination=AccountKey(
                Owner.user(instrument.issuer_id), instrument.isin, Bucket.AVAILABLE
            ),
            amount=instrument.issue_size_units,
            reference=f"issuance:{instrument.id}",
            actor_id=actor.user_id,
        )

    async def _register(self, instrument: Instrument) -> None:
        """Register the bond's units as a ledger asset as it is listed."""
        if instrument.maturity_date <= date.today():
            raise Conflict(code="instrument.already_matured", detail="The bond has matured.")
        await LedgerService(self._session).register_asset(
            instrument.isin, AssetKind.BOND, 0, instrument.name[:100]
        )
        instrument.listed_at = utcnow()


def _require_issuer_or_admin(instrument: Instrument, actor: Principal) -> None:
    if instrument.issuer_id != actor.user_id and not actor.has_role(Role.ADMIN):
        raise Forbidden(
            code="instrument.not_issuer", detail="Only the issuer or an admin issues the bond."
        )


def _visible(instrument: Instrument, viewer: Principal | None) -> bool:
    if InstrumentStatus(instrument.status) in PUBLIC_STATUSES:
        return True
    return viewer is not None and (
        viewer.user_id == instrument.issuer_id or viewer.has_role(Role.ADMIN)
    )


def _check_terms(instrument: Instrument) -> None:
    """Re-validate the combined terms after a partial update."""
    try:
        InstrumentUpdate.model_validate(
            {
                "issue_date": instrument.issue_date,
                "maturity_date": instrument.maturity_date,
                "first_coupon_date": instrument.first_coupon_date,
                "coupon_rate": instrument.coupon_rate,
                "coupon_frequency": instrument.coupon_frequency,
            }
        )
        check_session(instrument.session_open, instrument.session_close)
    except (ValidationError, PydanticCustomError) as exc:
        errors = (
            [FieldError("body", str(e["msg"]), str(e["type"])) for e in exc.errors()]
            if isinstance(exc, ValidationError)
            else [FieldError("body", exc.message(), exc.type)]
        )
        raise Unprocessable(
            code="instrument.inconsistent_terms",
            detail="The terms contradict each other after this change.",
            errors=errors,
        ) from exc

"""Corporate action tables: events and their holders' entitlements."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from liquibond.instruments.models import PRICE_SCALE
from liquibond.platform.db import Base, CreatedAt, ExactDecimal, IdPrimaryKey


class CorporateAction(IdPrimaryKey, CreatedAt, Base):
    """A coupon, redemption or call of one instrument, from announcement to payment.

    `status` changes only through the transition table of
    :mod:`liquibond.corporate_actions.rules`. The instrument's ISIN and issuer, which never
    change, are kept on the event. Totals are filled in when the register is read.
    """

    __tablename__ = "corporate_actions"

    instrument_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("instruments.id"))
    isin: Mapped[str] = mapped_column(String(12))
    issuer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    #: The period whose interest is paid (for a call, up to the payment date).
    period_start: Mapped[date]
    #: The scheduled, unadjusted date: coupon date, maturity or call date.
    due_date: Mapped[date]
    record_date: Mapped[date]
    ex_date: Mapped[date]
    payment_date: Mapped[date]
    currency: Mapped[str] = mapped_column(ForeignKey("assets.code"))
    #: Gross paid per unit, in minor units of `currency` (a holding is computed whole).
    amount_per_unit: Mapped[int] = mapped_column(BigInteger)
    #: A call's price per 100 of face value.
    call_price: Mapped[Decimal | None] = mapped_column(ExactDecimal(PRICE_SCALE))
    #: Who announced it; None when the schedule did.
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    status_reason: Mapped[str | None] = mapped_column(String(500))
    holders: Mapped[int | None] = mapped_column(BigInteger)
    units: Mapped[int | None] = mapped_column(BigInteger)
    gross: Mapped[int | None] = mapped_column(BigInteger)
    tax: Mapped[int | None] = mapped_column(BigInteger)
    updated_at: Mapped[datetime | None]

    __table_args__ = (
        UniqueConstraint("instrument_id", "kind", "due_date", name="uq_corporate_actions_due"),
        # The job looks for open events by the date their next step falls due.
        Index("ix_corporate_actions_status_record_date", "status", "record_date"),
        Index("ix_corporate_actions_status_payment_date", "status", "payment_date"),
        CheckConstraint(
            "record_date < payment_date AND ex_date = record_date", name="dates_in_order"
        ),
        CheckConstraint("amount_per_unit >= 0", name="non_negative_amount"),
        CheckConstraint("(kind = 'call') = (call_price IS NOT NULL)", name="call_has_price"),
    )


class Entitlement(IdPrimaryKey, CreatedAt, Base):
    """What one holder is owed by one event, fixed when the register is read; `entry_id`
    and `paid_at` are set in the transaction that pays it."""

    __tablename__ = "corporate_action_entitlements"

    action_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("corporate_actions.id"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    units: Mapped[int] = mapped_column(BigInteger)
    interest: Mapped[int] = mapped_column(BigInteger)
    principal: Mapped[int] = mapped_column(BigInteger)
    gross: Mapped[int] = mapped_column(BigInteger)
    tax: Mapped[int] = mapped_column(BigInteger)
    net: Mapped[int] = mapped_column(BigInteger)
    entry_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("journal_entries.id"))
    paid_at: Mapped[datetime | None]

    __table_args__ = (
        UniqueConstraint("action_id", "user_id", name="uq_corporate_action_entitlements_holder"),
        Index("ix_corporate_action_entitlements_user_id", "user_id"),
        CheckConstraint("units > 0", name="positive_units"),
        CheckConstraint(
            "gross = interest + principal AND net = gross - tax AND tax >= 0 AND net >= 0",
            name="amounts_add_up",
        ),
        CheckConstraint("(entry_id IS NULL) = (paid_at IS NULL)", name="paid_with_entry"),
    )

"""RFQ tables: requests, the dealers asked, their quotes, the audit trail and the limits."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from liquibond.instruments.models import PRICE_SCALE
from liquibond.platform.db import Base, CreatedAt, ExactDecimal, IdPrimaryKey


class Rfq(IdPrimaryKey, CreatedAt, Base):
    """A request for quote: one requester asks some dealers for a price on a size.

    `status` changes only through :func:`~liquibond.rfq.lifecycle.next_rfq_status`. `seq`
    numbers the RFQ's audit events (and so orders its real-time states). Once done,
    `trade_id` is the trade the book's writer executed and `price` its clean price.
    """

    __tablename__ = "rfqs"

    requester_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    instrument_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("instruments.id"))
    side: Mapped[str] = mapped_column(String(4))  # the requester's
    quantity: Mapped[int] = mapped_column(BigInteger)  # units
    #: Whether dealers see who asks (else it is anonymous to them).
    disclosed: Mapped[bool]
    status: Mapped[str] = mapped_column(String(16))
    expires_at: Mapped[datetime]
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    #: The quote being held for a last look, and until when.
    held_quote_id: Mapped[uuid.UUID | None]
    hold_until: Mapped[datetime | None]
    done_quote_id: Mapped[uuid.UUID | None]
    trade_id: Mapped[uuid.UUID | None]
    price: Mapped[Decimal | None] = mapped_column(ExactDecimal(PRICE_SCALE))
    ended_at: Mapped[datetime | None]
    updated_at: Mapped[datetime | None]

    __table_args__ = (
        Index("ix_rfqs_requester_id_id", "requester_id", "id"),
        Index("ix_rfqs_status_expires_at", "status", "expires_at"),
        CheckConstraint("quantity > 0", name="positive_quantity"),
    )


class RfqDealer(Base):
    """A dealer asked on an RFQ: when it first answered, and the outcome it was told."""

    __tablename__ = "rfq_dealers"

    rfq_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("rfqs.id"), primary_key=True)
    dealer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), primary_key=True)
    asked_at: Mapped[datetime]
    first_quoted_at: Mapped[datetime | None]
    response_ms: Mapped[int | None] = mapped_column(BigInteger)  # to the first quote
    outcome: Mapped[str | None] = mapped_column(String(16))

    __table_args__ = (Index("ix_rfq_dealers_dealer_id_rfq_id", "dealer_id", "rfq_id"),)


class RfqQuote(IdPrimaryKey, CreatedAt, Base):
    """One dealer quote. Updating a quote replaces it with a new row, so every price a
    dealer gave stays on record; `status` changes only through
    :func:`~liquibond.rfq.lifecycle.next_quote_status`."""

    __tablename__ = "rfq_quotes"

    rfq_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("rfqs.id"))
    dealer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    price: Mapped[Decimal] = mapped_column(ExactDecimal(PRICE_SCALE))  # clean, per 100
    price_ticks: Mapped[int] = mapped_column(BigInteger)
    firm: Mapped[bool]
    valid_until: Mapped[datetime]
    #: Milliseconds the dealer may hold an acceptance for its last look (None: no last look).
    last_look_ms: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    #: The requester's counter to this quote, if any.
    counter_price: Mapped[Decimal | None] = mapped_column(ExactDecimal(PRICE_SCALE))
    countered_at: Mapped[datetime | None]
    #: A last look: when the acceptance was held, and when and how the dealer decided.
    held_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None]
    decision: Mapped[str | None] = mapped_column(String(16))
    decision_reason: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[datetime | None]

    __table_args__ = (
        Index("ix_rfq_quotes_rfq_id_dealer_id", "rfq_id", "dealer_id"),
        CheckConstraint("price_ticks > 0", name="positive_price"),
    )


class RfqEvent(Base):
    """The audit trail of one RFQ: every action on it, by whom, in order."""

    __tablename__ = "rfq_events"

    rfq_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("rfqs.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    occurred_at: Mapped[datetime]
    actor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))  # None: the venue
    action: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict[str, Any]]


class LimitScope(StrEnum):
    """Whom an RFQ limit applies to."""

    REQUESTER = "requester"  # a user asking
    DEALER = "dealer"  # a dealer quoting
    INSTRUMENT = "instrument"  # any RFQ on a bond


class RfqLimit(Base):
    """A limit on RFQs of one requester, dealer or instrument: the largest size, and how many
    may be open at once (None: the venue's default; see `rfq_*` settings)."""

    __tablename__ = "rfq_limits"

    scope: Mapped[str] = mapped_column(String(16), primary_key=True)
    subject_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    max_quantity: Mapped[int | None] = mapped_column(BigInteger)
    max_open: Mapped[int | None] = mapped_column(Integer)
    updated_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime]

    __table_args__ = (
        CheckConstraint(
            "(max_quantity IS NULL OR max_quantity > 0) AND (max_open IS NULL OR max_open >= 0)",
            name="positive_limits",
        ),
    )

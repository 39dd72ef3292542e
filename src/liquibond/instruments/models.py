"""Instrument tables."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import BigInteger, Boolean, CheckConstraint, ForeignKey, Integer, String, Time
from sqlalchemy.orm import Mapped, mapped_column

from liquibond.platform.db import Base, CreatedAt, ExactDecimal, IdPrimaryKey

COUPON_RATE_SCALE = 6  # percent with six decimals: 7.2600 % is exact
PRICE_SCALE = 6  # clean price per 100 of face value
BPS_SCALE = 2  # fees in basis points, to a hundredth of a basis point
PERCENT_SCALE = 2  # price bands


class InstrumentStatus(StrEnum):
    """Where an instrument is in its life."""

    DRAFT = "draft"
    PENDING_APPROVAL = "pending_approval"
    LISTED = "listed"
    SUSPENDED = "suspended"
    MATURED = "matured"
    DELISTED = "delisted"


class Instrument(IdPrimaryKey, CreatedAt, Base):
    """A bond's reference data and trading status."""

    __tablename__ = "instruments"

    isin: Mapped[str] = mapped_column(String(12), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), default="bond")
    issuer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    currency: Mapped[str] = mapped_column(ForeignKey("assets.code"))
    face_value: Mapped[int] = mapped_column(BigInteger)  # minor units of `currency` per unit
    coupon_rate: Mapped[Decimal] = mapped_column(ExactDecimal(COUPON_RATE_SCALE))
    coupon_frequency: Mapped[int] = mapped_column(Integer)  # payments a year; 0 = zero coupon
    day_count: Mapped[str] = mapped_column(String(20))
    issue_date: Mapped[date]
    maturity_date: Mapped[date]
    first_coupon_date: Mapped[date | None]
    issue_size_units: Mapped[int] = mapped_column(BigInteger)
    min_lot: Mapped[int] = mapped_column(BigInteger)
    lot_increment: Mapped[int] = mapped_column(BigInteger)
    tick_size: Mapped[Decimal] = mapped_column(ExactDecimal(PRICE_SCALE))
    settlement_cycle_days: Mapped[int] = mapped_column(Integer)
    credit_rating: Mapped[str] = mapped_column(String(20))
    rating_agency: Mapped[str | None] = mapped_column(String(50))
    calendar: Mapped[str] = mapped_column(String(20))
    status_reason: Mapped[str | None] = mapped_column(String(500))
    # Market parameters (an admin may change them while the bond is listed).
    maker_fee_bps: Mapped[Decimal] = mapped_column(ExactDecimal(BPS_SCALE), default=Decimal(0))
    taker_fee_bps: Mapped[Decimal] = mapped_column(ExactDecimal(BPS_SCALE), default=Decimal(0))
    #: Orders priced further than this from the reference price are refused; None: no band.
    price_band_percent: Mapped[Decimal | None] = mapped_column(ExactDecimal(PERCENT_SCALE))
    #: Largest clean consideration of one order, in minor units; None: the venue's limit.
    max_order_notional: Mapped[int | None] = mapped_column(BigInteger)
    #: Trading hours in market time on business days of `calendar`; None: round the clock.
    session_open: Mapped[time | None] = mapped_column(Time)
    session_close: Mapped[time | None] = mapped_column(Time)
    #: Outside hours, queue orders for the open instead of refusing them.
    queue_outside_hours: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The curve whose fair value is the reference price until the bond first trades.
    reference_curve: Mapped[str | None] = mapped_column(String(40))
    listed_at: Mapped[datetime | None]
    updated_at: Mapped[datetime | None]
    #: Set when the issuer first failed to pay a coupon or redemption in full.
    payment_default_at: Mapped[datetime | None]
    payment_default_reason: Mapped[str | None] = mapped_column(String(500))
    #: Set when the bond is tokenized: its trades deliver units on chain, and the seller's
    #: proceeds wait for that delivery.
    settles_on_chain: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (
        CheckConstraint("maturity_date > issue_date", name="matures_after_issue"),
        CheckConstraint("face_value > 0 AND issue_size_units > 0", name="positive_size"),
        CheckConstraint("min_lot > 0 AND lot_increment > 0", name="positive_lots"),
        CheckConstraint("settlement_cycle_days IN (0, 1, 2)", name="settlement_cycle"),
        CheckConstraint("maker_fee_bps >= 0 AND taker_fee_bps >= 0", name="fees_not_negative"),
        CheckConstraint(
            "(session_open IS NULL) = (session_close IS NULL)", name="session_open_and_close"
        ),
    )

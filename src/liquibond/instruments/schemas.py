"""Instrument API shapes."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, Field, field_serializer, model_validator
from pydantic_core import PydanticCustomError

from liquibond.analytics import calendar_codes
from liquibond.instruments.isin import is_valid_isin
from liquibond.instruments.models import (
    BPS_SCALE,
    COUPON_RATE_SCALE,
    PERCENT_SCALE,
    PRICE_SCALE,
    InstrumentStatus,
)
from liquibond.platform.db import canonical_decimal
from liquibond.platform.schemas import RequestModel, ResponseModel


class DayCount(StrEnum):
    """Day-count conventions Liquibond prices bonds with (see liquibond.analytics)."""

    THIRTY_360 = "30/360"  # Indian G-secs, US corporate
    THIRTY_E_360 = "30E/360"
    ACT_360 = "ACT/360"
    ACT_365F = "ACT/365F"
    ACT_ACT_ICMA = "ACT/ACT-ICMA"
    ACT_ACT_ISDA = "ACT/ACT-ISDA"
    ACT_ACT_SEBI = "ACT/ACT-SEBI"  # Indian corporate bonds


class SettlementCycle(StrEnum):
    """Business days from trade to settlement."""

    T0 = "T+0"
    T1 = "T+1"
    T2 = "T+2"

    @property
    def days(self) -> int:
        """The cycle as a number of business days."""
        return int(self.value[2:])


def _calendar(value: str) -> str:
    if value not in calendar_codes():
        raise PydanticCustomError(
            "calendar_unknown",
            "unknown calendar; one of {codes}",
            {"codes": ", ".join(calendar_codes())},
        )
    return value


CalendarCode = Annotated[str, Field(pattern=r"^[A-Z]{2,10}$"), AfterValidator(_calendar)]


def _isin(value: str) -> str:
    value = value.strip().upper()
    if not is_valid_isin(value):
        raise PydanticCustomError("isin_invalid", "not a valid ISIN (format or check digit)")
    return value


Isin = Annotated[str, Field(min_length=12, max_length=12), AfterValidator(_isin)]
CouponRate = Annotated[Decimal, Field(ge=0, le=50, decimal_places=COUPON_RATE_SCALE)]
TickSize = Annotated[Decimal, Field(gt=0, le=100, decimal_places=PRICE_SCALE)]
Frequency = Literal[0, 1, 2, 4, 12]
Units = Annotated[int, Field(gt=0, le=10**15)]
FeeBps = Annotated[Decimal, Field(ge=0, le=100, decimal_places=BPS_SCALE)]
BandPercent = Annotated[Decimal, Field(gt=0, le=50, decimal_places=PERCENT_SCALE)]
Notional = Annotated[int, Field(gt=0, le=10**17, description="Minor units of the currency")]
CurveName = Annotated[str, Field(min_length=1, max_length=40)]


def check_session(session_open: time | None, session_close: time | None) -> None:
    """Trading hours are both set (open before close) or both absent (round the clock)."""
    if (session_open is None) != (session_close is None):
        raise PydanticCustomError(
            "session_incomplete", "session_open and session_close go together"
        )
    if session_open is not None and session_close is not None and session_open >= session_close:
        raise PydanticCustomError("session_inverted", "session_open must be before session_close")


class _Terms(RequestModel):
    """Terms shared by creation and update."""

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        values = self.model_dump(exclude_unset=True)
        issue, maturity = values.get("issue_date"), values.get("maturity_date")
        if issue and maturity and maturity <= issue:
            raise PydanticCustomError(
                "maturity_before_issue", "maturity_date must be after issue_date"
            )
        first = values.get("first_coupon_date")
        if first and ((issue and first <= issue) or (maturity and first > maturity)):
            raise PydanticCustomError(
                "first_coupon_outside_life",
                "first_coupon_date must fall after issue and by maturity",
            )
        rate, frequency = values.get("coupon_rate"), values.get("coupon_frequency")
        if rate is not None and frequency is not None and (rate == 0) != (frequency == 0):
            raise PydanticCustomError(
                "zero_coupon_mismatch",
                "a zero coupon rate goes with coupon_frequency 0, and only it",
            )
        return self


class InstrumentCreate(_Terms):
    """A bond an issuer drafts."""

    isin: Isin
    name: str = Field(min_length=3, max_length=200)
    currency: str = Field(default="INR", pattern=r"^[A-Z]{3,5}$")
    face_value: Units = Field(description="Face value of one unit, in minor units of the currency")
    coupon_rate: CouponRate = Field(description="Annual coupon in percent, e.g. 7.26")
    coupon_frequency: Frequency
    day_count: DayCount
    issue_date: date
    maturity_date: date
    first_coupon_date: date | None = None
    issue_size_units: Units
    min_lot: Units = 1
    lot_increment: Units = 1
    tick_size: TickSize = Decimal("0.0025")
    settlement_cycle: SettlementCycle = SettlementCycle.T1
    credit_rating: str = Field(min_length=1, max_length=20)
    rating_agency: str | None = Field(default=None, max_length=50)
    calendar: CalendarCode = "NSE"
    # Market parameters
    maker_fee_bps: FeeBps = Field(default=Decimal(0), description="Fee on a maker's fills")
    taker_fee_bps: FeeBps = Field(default=Decimal(0), description="Fee on a taker's fills")
    price_band_percent: BandPercent | None = Field(
        default=Decimal(5),
        description="Orders priced further than this from the reference price (last trade, "
        "else the reference curve's fair value) are refused; null: no band",
    )
    max_order_notional: Notional | None = Field(
        default=None, description="Largest clean consideration of one order; null: venue limit"
    )
    session_open: time | None = Field(
        default=None, description="Trading opens (Indian market time); null: round the clock"
    )
    session_close: time | None = Field(default=None, description="Trading closes; DAY expires")
    queue_outside_hours: bool = Field(
        default=False, description="Queue orders sent outside hours for the open (else refuse)"
    )
    reference_curve: CurveName | None = None

    @model_validator(mode="after")
    def _session(self) -> Self:
        check_session(self.session_open, self.session_close)
        return self


#: Terms a listed bond keeps for life; the rest are market parameters.
MARKET_PARAMETERS = frozenset(
    {
        "maker_fee_bps",
        "taker_fee_bps",
        "price_band_percent",
        "max_order_notional",
        "session_open",
        "session_close",
        "queue_outside_hours",
        "reference_curve",
    }
)
_NULLABLE_TERMS = frozenset(
    {
        "first_coupon_date",
        "rating_agency",
        "price_band_percent",
        "max_order_notional",
        "session_open",
        "session_close",
        "reference_curve",
    }
)


class InstrumentUpdate(_Terms):
    """Changes to a draft (every term) or to a listed bond (market parameters only, by an admin)."""

    name: str | None = Field(default=None, min_length=3, max_length=200)
    face_value: Units | None = None
    coupon_rate: CouponRate | None = None
    coupon_frequency: Frequency | None = None
    day_count: DayCount | None = None
    issue_date: date | None = None
    maturity_date: date | None = None
    first_coupon_date: date | None = None
    issue_size_units: Units | None = None
    min_lot: Units | None = None
    lot_increment: Units | None = None
    tick_size: TickSize | None = None
    settlement_cycle: SettlementCycle | None = None
    credit_rating: str | None = Field(default=None, min_length=1, max_length=20)
    rating_agency: str | None = Field(default=None, max_length=50)
    calendar: CalendarCode | None = None
    maker_fee_bps: FeeBps | None = None
    taker_fee_bps: FeeBps | None = None
    price_band_percent: BandPercent | None = None
    max_order_notional: Notional | None = None
    session_open: time | None = None
    session_close: time | None = None
    queue_outside_hours: bool | None = None
    reference_curve: CurveName | None = None

    @model_validator(mode="after")
    def _no_null_terms(self) -> Self:
        nulls = sorted(
            name
            for name in self.model_fields_set
            if getattr(self, name) is None and name not in _NULLABLE_TERMS
        )
        if nulls:
            raise PydanticCustomError(
                "null_not_allowed", "cannot be null: {fields}", {"fields": ", ".join(nulls)}
            )
        return self


class StatusChange(RequestModel):
    """Why the status changes (required to reject, suspend or delist)."""

    reason: str | None = Field(default=None, min_length=3, max_length=500)


class InstrumentOut(ResponseModel):
    """An instrument as shown to the public (listed) or its issuer and admins (any status)."""

    @field_serializer("coupon_rate", "tick_size", "maker_fee_bps", "taker_fee_bps")
    def _canonical(self, value: Decimal) -> str:
        return str(canonical_decimal(value))

    @field_serializer("price_band_percent")
    def _canonical_or_null(self, value: Decimal | None) -> str | None:
        return None if value is None else str(canonical_decimal(value))

    id: uuid.UUID
    isin: str
    name: str
    kind: str
    issuer_id: uuid.UUID
    status: InstrumentStatus
    status_reason: str | None
    currency: str
    face_value: int
    coupon_rate: Decimal
    coupon_frequency: int
    day_count: DayCount
    issue_date: date
    maturity_date: date
    first_coupon_date: date | None
    issue_size_units: int
    min_lot: int
    lot_increment: int
    tick_size: Decimal
    settlement_cycle: SettlementCycle
    credit_rating: str
    rating_agency: str | None
    calendar: str
    maker_fee_bps: Decimal
    taker_fee_bps: Decimal
    price_band_percent: Decimal | None
    max_order_notional: int | None
    session_open: time | None
    session_close: time | None
    queue_outside_hours: bool
    reference_curve: str | None
    listed_at: datetime | None
    payment_default_at: datetime | None = Field(
        description="When the issuer first failed to pay a coupon or redemption; null: never"
    )
    payment_default_reason: str | None
    settles_on_chain: bool = Field(
        description="Tokenized: trades deliver on chain and the seller is paid once they do"
    )
    created_at: datetime


class HolderOut(ResponseModel):
    """One holder in a bond's register."""

    user_id: uuid.UUID
    display_name: str
    units: int = Field(
        description="units held, including units locked in open sell orders and units in the "
        "holder's own wallet (self-custody)"
    )
    percent_of_issue: Decimal = Field(description="units as a percentage of the issue size")

    @field_serializer("percent_of_issue")
    def _percent(self, value: Decimal) -> str:
        return str(canonical_decimal(value))


class HoldersOut(ResponseModel):
    """A bond's register of holders, largest first."""

    instrument_id: uuid.UUID
    isin: str
    issue_size_units: int
    held_units: int
    holders: list[HolderOut]

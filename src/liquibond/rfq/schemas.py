"""RFQ API shapes. Quantities are units of the bond; prices clean per 100 of face value."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import Field

from liquibond.platform.schemas import RequestModel, ResponseModel
from liquibond.rfq.lifecycle import Outcome, QuoteStatus, RfqStatus, Side
from liquibond.rfq.models import LimitScope

Units = Annotated[int, Field(gt=0, le=10**12)]
Price = Annotated[Decimal, Field(gt=0, lt=10_000, decimal_places=6)]


class RfqCreate(RequestModel):
    """Ask dealers for a price."""

    instrument_id: uuid.UUID
    side: Side = Field(description="My side: `buy` asks dealers for offers, `sell` for bids")
    quantity: Units
    dealer_ids: list[uuid.UUID] | None = Field(
        default=None,
        max_length=50,
        description="The dealers to ask (omit or leave empty: every dealer on the venue)",
    )
    disclosed: bool = Field(
        default=False, description="Show dealers who asks (else the request is anonymous)"
    )
    expires_in_seconds: int = Field(
        default=120, ge=5, le=3_600, description="How long dealers may answer"
    )


class QuoteCreate(RequestModel):
    """A dealer's answer; a new quote replaces the dealer's live one."""

    price: Price
    firm: bool = Field(default=True, description="Firm (may be accepted) or indicative")
    valid_for_seconds: int = Field(
        default=30, ge=1, le=3_600, description="How long the quote stands (never past the RFQ)"
    )
    last_look_ms: int | None = Field(
        default=None,
        gt=0,
        le=60_000,
        description="Keep a last look of up to this many milliseconds when accepted "
        "(at most the venue's maximum)",
    )


class RfqAccept(RequestModel):
    """Take one firm quote."""

    quote_id: uuid.UUID
    price: Price | None = Field(
        default=None,
        description="The price I saw: the acceptance is refused if the quote now says another",
    )


class CounterCreate(RequestModel):
    """The requester's counter to a quote; its dealer may re-quote at it."""

    price: Price


class Decision(StrEnum):
    """A dealer's last-look decision."""

    FILL = "fill"
    REJECT = "reject"


class LastLookDecision(RequestModel):
    """The dealer's decision on its held quote."""

    decision: Decision
    reason: str | None = Field(default=None, max_length=200)


class QuoteOut(ResponseModel):
    """One quote, as its dealer and the requester see it."""

    id: uuid.UUID
    rfq_id: uuid.UUID
    dealer_id: uuid.UUID
    dealer_name: str
    price: Decimal
    firm: bool
    valid_until: datetime
    last_look_ms: int | None
    status: QuoteStatus
    counter_price: Decimal | None
    countered_at: datetime | None
    held_at: datetime | None
    decided_at: datetime | None
    decision: str | None
    decision_reason: str | None
    created_at: datetime


class RfqDealerOut(ResponseModel):
    """A dealer asked, as the requester sees it."""

    dealer_id: uuid.UUID
    dealer_name: str
    first_quoted_at: datetime | None
    outcome: Outcome | None


class RfqRole(StrEnum):
    """How the caller takes part in an RFQ."""

    REQUESTER = "requester"
    DEALER = "dealer"
    OBSERVER = "observer"  # compliance and admins


class RfqOut(ResponseModel):
    """An RFQ as the caller may see it: the requester sees every dealer and their live
    quotes; a dealer its own quotes and outcome, and who asks only if disclosed."""

    id: uuid.UUID
    seq: int = Field(
        description="Counts the RFQ's changes: a state with a lower seq than one you hold is older"
    )
    instrument_id: uuid.UUID
    isin: str
    side: Side
    quantity: int
    disclosed: bool
    status: RfqStatus
    expires_at: datetime
    created_at: datetime
    ended_at: datetime | None
    role: RfqRole
    requester_id: uuid.UUID | None
    requester_name: str | None
    dealers: list[RfqDealerOut]
    quotes: list[QuoteOut]
    hold_until: datetime | None = Field(description="The end of a last look in progress")
    price: Decimal | None = Field(description="The traded clean price, once done")
    trade_id: uuid.UUID | None
    outcome: Outcome | None = Field(description="A dealer's outcome, once the RFQ ended")
    cover_price: Decimal | None = Field(
        description="Once done: the best price other than the traded one (the requester and "
        "the winning dealer see it)"
    )


class RfqEventOut(ResponseModel):
    """One step of an RFQ's audit trail."""

    seq: int
    occurred_at: datetime
    actor_id: uuid.UUID | None
    action: str
    data: dict[str, Any]


class DealerOut(ResponseModel):
    """A dealer one may ask, and how it has answered RFQs."""

    id: uuid.UUID
    name: str
    asked: int
    quoted: int
    done: int
    response_rate: Decimal | None = Field(description="Percent of RFQs answered with a quote")
    hit_rate: Decimal | None = Field(description="Percent of answered RFQs traded with it")
    average_response_ms: int | None = Field(description="Mean time to the first quote")


class LimitSet(RequestModel):
    """Set one requester's, dealer's or instrument's RFQ limits (None: the venue's default)."""

    scope: LimitScope
    subject_id: uuid.UUID
    max_quantity: Units | None = None
    max_open: int | None = Field(default=None, ge=0, le=10_000)


class LimitOut(ResponseModel):
    """An RFQ limit in force."""

    scope: LimitScope
    subject_id: uuid.UUID
    max_quantity: int | None
    max_open: int | None
    updated_by: uuid.UUID | None
    updated_at: datetime

"""Corporate action API shapes. Amounts are integers in minor units of the currency."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Self

from pydantic import Field, field_serializer, model_validator
from pydantic_core import PydanticCustomError

from liquibond.corporate_actions.rules import ActionKind, ActionStatus
from liquibond.instruments.models import PRICE_SCALE
from liquibond.platform.db import canonical_decimal
from liquibond.platform.schemas import RequestModel, ResponseModel

CallPrice = Annotated[Decimal, Field(gt=0, le=200, decimal_places=PRICE_SCALE)]
PAR = Decimal(100)


class ActionCreate(RequestModel):
    """An event the issuer (or an admin) announces: a scheduled coupon or redemption ahead of
    the schedule's own announcement, or a call (an early redemption of the whole issue)."""

    instrument_id: uuid.UUID
    kind: ActionKind
    due_date: date = Field(description="The scheduled coupon date or maturity; a call's date")
    call_price: CallPrice | None = Field(
        default=None, description="A call's price per 100 of face value (default: par)"
    )

    @model_validator(mode="after")
    def _price_only_for_calls(self) -> Self:
        if self.kind is ActionKind.CALL:
            self.call_price = self.call_price or PAR
        elif self.call_price is not None:
            raise PydanticCustomError("call_price_without_call", "only a call has a call_price")
        return self


class ActionOut(ResponseModel):
    """A corporate action; the totals are known once the register is read."""

    @field_serializer("call_price")
    def _canonical(self, value: Decimal | None) -> str | None:
        return None if value is None else str(canonical_decimal(value))

    id: uuid.UUID
    instrument_id: uuid.UUID
    isin: str
    issuer_id: uuid.UUID
    kind: ActionKind
    status: ActionStatus
    status_reason: str | None
    period_start: date = Field(description="Start of the period whose interest is paid")
    due_date: date = Field(description="The scheduled (unadjusted) date")
    record_date: date = Field(description="Holders as settled at its close are paid")
    ex_date: date = Field(description="First trade date without the payment")
    payment_date: date = Field(description="When the money moves (holiday-adjusted)")
    currency: str
    amount_per_unit: int = Field(description="Gross per unit; a holding is computed whole")
    call_price: Decimal | None
    holders: int | None
    units: int | None
    gross: int | None
    tax: int | None
    created_by: uuid.UUID | None = Field(description="Who announced it; null: the schedule")
    created_at: datetime
    updated_at: datetime | None


class EntitlementOut(ResponseModel):
    """What one holder is owed, fixed when the register was read."""

    user_id: uuid.UUID
    units: int = Field(description="Units held, as settled, at the close of the record date")
    interest: int
    principal: int
    gross: int
    tax: int = Field(description="Withheld from the interest")
    net: int


class PaymentOut(ResponseModel):
    """What one holder was paid, and the ledger entry that paid it."""

    user_id: uuid.UUID
    gross: int
    tax: int
    net: int
    entry_id: uuid.UUID
    paid_at: datetime


class ActionDetail(ActionOut):
    """A corporate action with its entitlements and payments (for a holder who is neither
    the issuer nor an admin: only their own)."""

    entitlements: list[EntitlementOut]
    payments: list[PaymentOut]

"""Payment API shapes. Amounts are integers in paise (INR minor units)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Self

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from liquibond.payments.models import BankAccountStatus, PaymentKind, PaymentMethod, PaymentStatus
from liquibond.platform.schemas import RequestModel, ResponseModel

Paise = Field(gt=0, le=10**12, description="Amount in paise (₹1 = 100)")


class BankAccountCreate(RequestModel):
    """A bank account to withdraw to."""

    holder_name: str = Field(min_length=2, max_length=100)
    account_number: str = Field(pattern=r"^\d{9,18}$")
    ifsc: str = Field(pattern=r"^[A-Z]{4}0[A-Z0-9]{6}$", description="e.g. HDFC0001234")


class BankAccountOut(ResponseModel):
    """A bank account, its number masked."""

    id: uuid.UUID
    holder_name: str
    ifsc: str
    account_last4: str
    status: BankAccountStatus
    name_at_bank: str | None
    failure_reason: str | None
    created_at: datetime


class DepositRequest(RequestModel):
    """Money in: a UPI collect from a VPA, or an RTGS transfer to a virtual account."""

    amount: int = Paise
    method: PaymentMethod = PaymentMethod.UPI
    payer_vpa: str | None = Field(default=None, pattern=r"^[A-Za-z0-9._-]{2,256}@[A-Za-z]{2,64}$")

    @model_validator(mode="after")
    def _vpa_for_upi(self) -> Self:
        if self.method is PaymentMethod.UPI and self.payer_vpa is None:
            raise PydanticCustomError("vpa_required", "a UPI collect needs the payer's VPA")
        return self


class WithdrawalRequest(RequestModel):
    """Money out to a verified bank account."""

    amount: int = Paise
    bank_account_id: uuid.UUID
    method: PaymentMethod = PaymentMethod.RTGS


class PaymentOut(ResponseModel):
    """A deposit or withdrawal."""

    id: uuid.UUID
    kind: PaymentKind
    method: PaymentMethod
    asset: str
    amount: int
    status: PaymentStatus
    rail_reference: str | None
    bank_account_id: uuid.UUID | None
    failure_reason: str | None
    created_at: datetime
    updated_at: datetime | None


class DepositOut(PaymentOut):
    """A new deposit and how to pay it."""

    instructions: dict[str, str]


class ReconciliationBreakOut(ResponseModel):
    """A difference between the rail's statement and our books."""

    rail_reference: str
    problem: str


class Reconciliation(ResponseModel):
    """The outcome of comparing the rail with the ledger."""

    balanced: bool
    breaks: list[ReconciliationBreakOut]

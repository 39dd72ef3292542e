"""Payment tables: bank accounts, payments, and the sandbox rail's own books."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from liquibond.platform.db import Base, CreatedAt, IdPrimaryKey


class PaymentKind(StrEnum):
    """Money in or money out."""

    DEPOSIT = "deposit"
    WITHDRAWAL = "withdrawal"


class PaymentMethod(StrEnum):
    """The rail the money travels on."""

    UPI = "upi"
    RTGS = "rtgs"


class PaymentStatus(StrEnum):
    """Where a payment is; see `liquibond.payments.lifecycle` for the allowed moves."""

    PENDING = "pending"  # deposit: collect requested; withdrawal: funds held, payout sent
    CONFIRMED = "confirmed"  # deposit credited
    SETTLED = "settled"  # withdrawal paid out
    FAILED = "failed"  # deposit never arrived
    RETURNED = "returned"  # withdrawal bounced; funds given back
    EXPIRED = "expired"  # collect request never approved


class BankAccountStatus(StrEnum):
    """Whether a bank account passed the penny-drop check."""

    VERIFIED = "verified"
    FAILED = "failed"


class BankAccount(IdPrimaryKey, CreatedAt, Base):
    """A user's bank account for withdrawals; the number is encrypted at rest."""

    __tablename__ = "bank_accounts"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    holder_name: Mapped[str] = mapped_column(String(100))
    ifsc: Mapped[str] = mapped_column(String(11))
    account_number: Mapped[bytes] = mapped_column(LargeBinary)
    account_last4: Mapped[str] = mapped_column(String(4))
    status: Mapped[str] = mapped_column(String(16))
    name_at_bank: Mapped[str | None] = mapped_column(String(100))
    failure_reason: Mapped[str | None] = mapped_column(String(200))


class Payment(IdPrimaryKey, CreatedAt, Base):
    """A deposit or withdrawal and its journey through the rail."""

    __tablename__ = "payments"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    method: Mapped[str] = mapped_column(String(8))
    asset: Mapped[str] = mapped_column(ForeignKey("assets.code"))
    amount: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16), index=True)
    rail_reference: Mapped[str | None] = mapped_column(String(64), unique=True)
    bank_account_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("bank_accounts.id"))
    payer_vpa: Mapped[str | None] = mapped_column(String(100))
    failure_reason: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[datetime | None]

    __table_args__ = (CheckConstraint("amount > 0", name="positive_amount"),)


class SandboxRailTransaction(Base):
    """The sandbox bank's own record of money it moved: what reconciliation checks us against."""

    __tablename__ = "sandbox_rail_transactions"

    rail_reference: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    amount: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16))
    occurred_at: Mapped[datetime]

"""Payment use cases: bank accounts, deposits, withdrawals, rail webhooks, reconciliation.

Money moves only through the ledger: a confirmed deposit credits the user from the rail's
in-transit account; a withdrawal first holds funds in `pending_withdrawal`, then either pays
them out to the rail or returns them. Every ledger entry carries a reference derived from the
payment, so a webhook delivered twice (or by two rail retries) can never move money twice.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from liquibond.ledger.entries import RAIL_IN_TRANSIT, AccountKey, Owner
from liquibond.ledger.models import Bucket
from liquibond.ledger.service import LedgerService
from liquibond.payments.lifecycle import can_move
from liquibond.payments.models import (
    BankAccount,
    BankAccountStatus,
    Payment,
    PaymentKind,
    PaymentMethod,
    PaymentStatus,
)
from liquibond.payments.rails import Collect, PaymentRail, Payout
from liquibond.payments.schemas import BankAccountCreate, DepositRequest, WithdrawalRequest
from liquibond.platform.audit import record_audit
from liquibond.platform.crypto import FieldCipher
from liquibond.platform.db import new_id, utcnow
from liquibond.platform.errors import Conflict, Unprocessable, not_found
from liquibond.platform.outbox import record_event
from liquibond.platform.ownership import owned
from liquibond.platform.schemas import as_uuid, cursor_value, encode_cursor

CURRENCY = "INR"
UPI_MAX = 1_00_000_00  # ₹1,00,000 per UPI transaction (NPCI's general limit), in paise
RTGS_MIN = 2_00_000_00  # RTGS starts at ₹2,00,000
WITHDRAWAL_MAX = 10_00_00_000_00  # ₹10 crore per request

#: Rail webhook type -> (payment kind, target status).
_OUTCOMES: dict[str, tuple[PaymentKind, PaymentStatus]] = {
    "collect.succeeded": (PaymentKind.DEPOSIT, PaymentStatus.CONFIRMED),
    "collect.failed": (PaymentKind.DEPOSIT, PaymentStatus.FAILED),
    "collect.expired": (PaymentKind.DEPOSIT, PaymentStatus.EXPIRED),
    "payout.settled": (PaymentKind.WITHDRAWAL, PaymentStatus.SETTLED),
    "payout.failed": (PaymentKind.WITHDRAWAL, PaymentStatus.RETURNED),
}

#: Checks a user may move money (KYC verified); raises a 403 problem otherwise.
KycGate = Callable[[uuid.UUID], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class RailEvent:
    """An outcome reported by the rail."""

    type: str
    rail_reference: str
    amount: int


@dataclass(frozen=True, slots=True)
class ReconciliationBreak:
    """A difference between the rail's statement and our books."""

    rail_reference: str
    problem: str


class PaymentService:
    """Payment use cases over one unit of work's session; never commits."""

    def __init__(
        self, session: AsyncSession, rail: PaymentRail, cipher: FieldCipher, require_kyc: KycGate
    ) -> None:
        self._session = session
        self._rail = rail
        self._cipher = cipher
        self._require_kyc = require_kyc
        self._ledger = LedgerService(session)

    # -- bank accounts ---------------------------------------------------------------------

    async def add_bank_account(self, user_id: uuid.UUID, request: BankAccountCreate) -> BankAccount:
        """Register a bank account, verified by penny drop before any withdrawal may use it."""
        check = await self._rail.penny_drop(
            request.account_number, request.ifsc, request.holder_name
        )
        matches = check.verified and _same_name(request.holder_name, check.name_at_bank)
        account = BankAccount(
            id=new_id(),
            user_id=user_id,
            holder_name=request.holder_name,
            ifsc=request.ifsc,
            account_number=b"",
            account_last4=request.account_number[-4:],
            status=(BankAccountStatus.VERIFIED if matches else BankAccountStatus.FAILED).value,
            name_at_bank=check.name_at_bank,
            failure_reason=None
            if matches
            else (check.reason or "The name at the bank does not match."),
        )
        account.account_number = self._cipher.encrypt(
            request.account_number.encode(), _account_context(account.id)
        )
        self._session.add(account)
        await self._session.flush()
        await record_audit(
            self._session,
            actor_id=user_id,
            action="bank_account.added",
            target=f"bank_account:{account.id}",
            payload={"status": account.status, "ifsc": account.ifsc},
        )
        return account

    async def bank_accounts(self, user_id: uuid.UUID) -> list[BankAccount]:
        """The user's bank accounts."""
        rows = await self._session.scalars(
            select(BankAccount)
            .where(BankAccount.user_id == user_id)
            .order_by(BankAccount.created_at)
        )
        return list(rows)

    # -- deposits and withdrawals ----------------------------------------------------------

    async def deposit(
        self, user_id: uuid.UUID, request: DepositRequest
    ) -> tuple[Payment, dict[str, str]]:
        """Ask the rail to collect money; the ledger is credited when the rail confirms."""
        await self._require_kyc(user_id)
        if request.method is PaymentMethod.UPI and request.amount > UPI_MAX:
            raise Unprocessable(
                code="payment.above_upi_limit",
                detail="UPI deposits are limited to ₹1,00,000; use RTGS.",
            )
        if request.method is PaymentMethod.RTGS and request.amount < RTGS_MIN:
            raise Unprocessable(
                code="payment.below_rtgs_minimum", detail="RTGS starts at ₹2,00,000; use UPI."
            )
        payment = Payment(
            id=new_id(),
            user_id=user_id,
            kind=PaymentKind.DEPOSIT.value,
            method=request.method.value,
            asset=CURRENCY,
            amount=request.amount,
            status=PaymentStatus.PENDING.value,
            payer_vpa=request.payer_vpa,
        )
        collect = await self._rail.request_collect(
            Collect(str(payment.id), request.method, request.amount, request.payer_vpa)
        )
        payment.rail_reference = collect.rail_reference
        self._session.add(payment)
        await self._session.flush()
        await record_audit(
            self._session,
            actor_id=user_id,
            action="payment.deposit_requested",
            target=f"payment:{payment.id}",
            payload={"amount": payment.amount},
        )
        return payment, collect.instructions

    async def withdraw(self, user_id: uuid.UUID, request: WithdrawalRequest) -> Payment:
        """Hold the funds, then ask the rail to pay them to a verified bank account."""
        await self._require_kyc(user_id)
        account = await owned(
            self._session, BankAccount, request.bank_account_id, user_id, "bank_account"
        )
        if account.status != BankAccountStatus.VERIFIED:
            raise Conflict(
                code="payment.bank_account_unverified",
                detail="This bank account failed verification.",
            )
        payment = Payment(
            id=new_id(),
            user_id=user_id,
            kind=PaymentKind.WITHDRAWAL.value,
            method=request.method.value,
            asset=CURRENCY,
            amount=request.amount,
            status=PaymentStatus.PENDING.value,
            bank_account_id=account.id,
        )
        self._session.add(payment)
        await self._session.flush()
        await self._ledger.reserve(
            user_id,
            CURRENCY,
            request.amount,
            to=Bucket.PENDING_WITHDRAWAL,
            reference=f"payment:{payment.id}:hold",
            description="Withdrawal requested",
        )
        number = self._cipher.decrypt(account.account_number, _account_context(account.id)).decode()
        payment.rail_reference = await self._rail.send_payout(
            Payout(str(payment.id), request.amount, number, account.ifsc)
        )
        await self._session.flush()
        await record_audit(
            self._session,
            actor_id=user_id,
            action="payment.withdrawal_requested",
            target=f"payment:{payment.id}",
            payload={"amount": payment.amount},
        )
        return payment

    async def payment(self, user_id: uuid.UUID, payment_id: uuid.UUID) -> Payment:
        """One of the user's payments (someone else's is 404)."""
        return await owned(self._session, Payment, payment_id, user_id, "payment")

    async def payments(
        self,
        user_id: uuid.UUID,
        *,
        limit: int,
        cursor: str | None,
        kind: PaymentKind | None,
        status: PaymentStatus | None,
    ) -> tuple[list[Payment], str | None]:
        """The user's payments, newest first."""
        query = select(Payment).where(Payment.user_id == user_id).order_by(Payment.id.desc())
        before = cursor_value(cursor, "before", as_uuid)
        if before is not None:
            query = query.where(Payment.id < before)  # ids are time-ordered (UUIDv7)
        if kind is not None:
            query = query.where(Payment.kind == kind.value)
        if status is not None:
            query = query.where(Payment.status == status.value)
        rows = list(await self._session.scalars(query.limit(limit + 1)))
        page = rows[:limit]
        return page, encode_cursor({"before": str(page[-1].id)}) if len(rows) > limit else None

    async def expire_stale_collects(self, older_than: timedelta) -> int:
        """Expire deposits whose collect request was never approved; returns how many."""
        stale = await self._session.scalars(
            select(Payment)
            .where(
                Payment.kind == PaymentKind.DEPOSIT.value,
                Payment.status == PaymentStatus.PENDING.value,
                Payment.created_at < utcnow() - older_than,
            )
            .with_for_update(skip_locked=True)
        )
        expired = 0
        for payment in stale:
            await self._settle(payment, PaymentKind.DEPOSIT, PaymentStatus.EXPIRED)
            expired += 1
        return expired

    # -- the rail's webhooks ---------------------------------------------------------------

    async def apply_rail_event(self, event: RailEvent) -> Payment:
        """Apply an outcome from the rail; applying the same outcome again changes nothing."""
        if event.type not in _OUTCOMES:
            raise Unprocessable(code="webhook.unknown_type", detail=f"Unknown event {event.type}.")
        kind, target = _OUTCOMES[event.type]
        payment = await self._session.scalar(
            select(Payment).where(Payment.rail_reference == event.rail_reference).with_for_update()
        )
        if payment is None or payment.kind != kind.value:
            # Possibly not committed yet on our side: a 404 makes the rail retry later.
            raise not_found("payment")
        if event.amount != payment.amount:
            await record_audit(
                self._session,
                actor_id=None,
                action="payment.amount_mismatch",
                target=f"payment:{payment.id}",
                payload={"expected": payment.amount, "reported": event.amount},
            )
            raise _RecordedUnprocessable(
                code="payment.amount_mismatch", detail="The rail reported a different amount."
            )
        await self._settle(payment, kind, target)
        return payment

    async def _settle(self, payment: Payment, kind: PaymentKind, target: PaymentStatus) -> None:
        """Move a payment to `target`: the only place its status changes (with its money)."""
        current = PaymentStatus(payment.status)
        if current is target:
            return
        if not can_move(kind, current, target):
            raise Conflict(
                code="payment.invalid_transition",
                detail=f"A {current.value} {kind.value} cannot become {target.value}.",
            )
        await self._move_money(payment, target)
        payment.status = target.value
        payment.updated_at = utcnow()
        await self._session.flush()
        await record_audit(
            self._session,
            actor_id=None,
            action=f"payment.{target.value}",
            target=f"payment:{payment.id}",
            payload={"amount": payment.amount, "rail_reference": payment.rail_reference},
        )
        record_event(
            self._session,
            f"payment.{kind.value}_{target.value}.v1",
            {
                "payment_id": str(payment.id),
                "user_id": str(payment.user_id),
                "amount": payment.amount,
                "asset": payment.asset,
            },
        )

    async def _move_money(self, payment: Payment, target: PaymentStatus) -> None:
        owner = Owner.user(payment.user_id)
        rail = AccountKey(RAIL_IN_TRANSIT, payment.asset, Bucket.SYSTEM)
        pending = AccountKey(owner, payment.asset, Bucket.PENDING_WITHDRAWAL)
        available = AccountKey(owner, payment.asset, Bucket.AVAILABLE)
        moves = {
            PaymentStatus.CONFIRMED: ("deposit", "Deposit received", rail, available),
            PaymentStatus.SETTLED: ("withdrawal", "Withdrawal paid out", pending, rail),
            PaymentStatus.RETURNED: (
                "withdrawal_return",
                "Withdrawal returned by the bank",
                pending,
                available,
            ),
        }
        if target in moves:
            kind, description, source, destination = moves[target]
            await self._ledger.move(
                kind,
                description,
                source=source,
                destination=destination,
                amount=payment.amount,
                reference=f"payment:{payment.id}:{target.value}",
            )

    # -- reconciliation --------------------------------------------------------------------

    async def reconcile(self) -> list[ReconciliationBreak]:
        """Compare the rail's statement with our payments; every difference is a break."""
        statement = {line.rail_reference: line for line in await self._rail.statement()}
        ours = {
            p.rail_reference: p
            for p in await self._session.scalars(
                select(Payment).where(Payment.rail_reference.is_not(None))
            )
            if p.rail_reference is not None
        }
        breaks: list[ReconciliationBreak] = []
        expected_status = {
            "completed": {PaymentStatus.CONFIRMED, PaymentStatus.SETTLED},
            "returned": {PaymentStatus.RETURNED},
        }
        for reference, line in statement.items():
            payment = ours.get(reference)
            if payment is None:
                breaks.append(ReconciliationBreak(reference, "moved by the rail, unknown to us"))
            elif payment.amount != line.amount:
                breaks.append(
                    ReconciliationBreak(
                        reference, f"amount {line.amount} at the rail, {payment.amount} here"
                    )
                )
            elif PaymentStatus(payment.status) not in expected_status.get(line.status, set()):
                breaks.append(
                    ReconciliationBreak(
                        reference, f"{line.status} at the rail, {payment.status} here"
                    )
                )
        for reference, payment in ours.items():
            done = PaymentStatus(payment.status) in (
                PaymentStatus.CONFIRMED,
                PaymentStatus.SETTLED,
                PaymentStatus.RETURNED,
            )
            if done and reference not in statement:
                breaks.append(
                    ReconciliationBreak(reference, f"{payment.status} here, absent at the rail")
                )
        return breaks


class _RecordedUnprocessable(Unprocessable):
    keep_changes = True


def _account_context(account_id: uuid.UUID) -> str:
    return f"bank_account.number:{account_id}"


def _normalise_name(name: str | None) -> str:
    return re.sub(r"[^A-Z]", "", (name or "").upper())


def _same_name(given: str, at_bank: str | None) -> bool:
    return at_bank is not None and _normalise_name(given) == _normalise_name(at_bank)

"""The payment-rail port, and a sandbox UPI/RTGS rail that behaves like a real one.

A rail takes collect requests (money in) and payouts (money out), verifies bank accounts by
penny drop, and reports outcomes later by signed webhook (Standard Webhooks), retrying until
we answer 2xx, exactly as NPCI-connected banks do. It also gives a statement of the money it
actually moved, which reconciliation checks against the ledger.

The sandbox keeps its books in its own table, in its own transactions (a bank does not share
our commits), and decides outcomes from the inputs so tests and the demo can reach each path:

- a UPI collect from a VPA starting `fail` is declined; one starting `expire` is never approved;
- a payout to an account number ending `0000` bounces (returned);
- a penny drop to an account number ending `9999` finds no account; the name at the bank is
  the holder name given, unless the holder name contains `mismatch`.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

import structlog
from sqlalchemy import select

from liquibond.payments.models import PaymentKind, PaymentMethod, SandboxRailTransaction
from liquibond.platform.db import Database, utcnow
from liquibond.platform.uow import UnitOfWork
from liquibond.platform.webhooks import sign

log = structlog.get_logger(__name__)

WEBHOOK_PATH = "/api/v1/webhooks/payments"
#: Sends a signed webhook; returns the HTTP status the receiver answered.
WebhookSender = Callable[[str, bytes, dict[str, str]], Awaitable[int]]


@dataclass(frozen=True, slots=True)
class CollectRequest:
    """A request for money in: a UPI collect, or RTGS virtual-account details."""

    rail_reference: str
    instructions: dict[str, str]


@dataclass(frozen=True, slots=True)
class PennyDrop:
    """The outcome of crediting ₹1 to a bank account to prove it exists and whose it is."""

    verified: bool
    name_at_bank: str | None
    reason: str | None


@dataclass(frozen=True, slots=True)
class RailStatementLine:
    """Money the rail moved: a collect received or a payout sent (or returned)."""

    rail_reference: str
    kind: PaymentKind
    amount: int
    status: str


@dataclass(frozen=True, slots=True)
class Collect:
    """What the venue asks the rail to collect."""

    payment_id: str
    method: PaymentMethod
    amount: int
    payer_vpa: str | None


@dataclass(frozen=True, slots=True)
class Payout:
    """What the venue asks the rail to pay out."""

    payment_id: str
    amount: int
    account_number: str
    ifsc: str


class PaymentRail(Protocol):
    """A bank rail (UPI, RTGS) as the venue sees it."""

    async def request_collect(self, collect: Collect) -> CollectRequest:
        """Ask a payer for money; the outcome arrives by webhook."""

    async def send_payout(self, payout: Payout) -> str:
        """Pay money out; returns the rail reference; the outcome arrives by webhook."""

    async def penny_drop(self, account_number: str, ifsc: str, holder_name: str) -> PennyDrop:
        """Verify a bank account by crediting it a rupee."""

    async def statement(self) -> list[RailStatementLine]:
        """Everything the rail actually moved."""


class SandboxRail:
    """An in-process UPI/RTGS rail with deterministic outcomes (see module docstring)."""

    def __init__(
        self,
        database: Database,
        secret: bytes,
        send: WebhookSender,
        *,
        delay_seconds: float = 0.5,
        max_attempts: int = 8,
    ) -> None:
        self._database = database
        self._secret = secret
        self._send = send
        self._delay = delay_seconds
        self._max_attempts = max_attempts
        self._tasks: set[asyncio.Task[None]] = set()

    async def request_collect(self, collect: Collect) -> CollectRequest:
        """Ask a payer for money; the outcome arrives by webhook."""
        reference = _reference("COL")
        if collect.method is PaymentMethod.UPI:
            instructions = {
                "type": "upi_collect",
                "payer_vpa": collect.payer_vpa or "",
                "intent_url": (
                    f"upi://pay?pa=liquibond@sandbox&tr={reference}"
                    f"&am={collect.amount // 100}.{collect.amount % 100:02d}&cu=INR"
                ),
            }
            vpa = (collect.payer_vpa or "").lower()
            if vpa.startswith("expire"):
                return CollectRequest(reference, instructions)  # the payer never approves
            outcome = "collect.failed" if vpa.startswith("fail") else "collect.succeeded"
        else:
            instructions = {
                "type": "rtgs_virtual_account",
                "beneficiary": "Liquibond Client Funds",
                "account_number": f"LQB{reference[-10:]}",
                "ifsc": "SBIN0000001",
            }
            outcome = "collect.succeeded"
        self._later(reference, PaymentKind.DEPOSIT, collect.amount, outcome)
        return CollectRequest(reference, instructions)

    async def send_payout(self, payout: Payout) -> str:
        """Pay money out; returns the rail reference; the outcome arrives by webhook."""
        reference = _reference("PAY")
        bounced = payout.account_number.endswith("0000")
        self._later(
            reference,
            PaymentKind.WITHDRAWAL,
            payout.amount,
            "payout.failed" if bounced else "payout.settled",
        )
        return reference

    async def penny_drop(self, account_number: str, ifsc: str, holder_name: str) -> PennyDrop:
        """Verify a bank account by crediting it a rupee."""
        if account_number.endswith("9999"):
            return PennyDrop(False, None, "No such account at the bank.")
        name_at_bank = (
            "RAHUL K SHARMA" if "mismatch" in holder_name.lower() else holder_name.upper()
        )
        return PennyDrop(True, name_at_bank, None)

    async def statement(self) -> list[RailStatementLine]:
        """Everything the rail actually moved."""
        async with UnitOfWork(self._database, write=False) as uow:
            rows = await uow.session.scalars(
                select(SandboxRailTransaction).order_by(SandboxRailTransaction.occurred_at)
            )
            return [
                RailStatementLine(r.rail_reference, PaymentKind(r.kind), r.amount, r.status)
                for r in rows
            ]

    async def drain(self) -> None:
        """Wait for every webhook in flight (tests and shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def _later(self, reference: str, kind: PaymentKind, amount: int, outcome: str) -> None:
        task = asyncio.create_task(self._settle_and_notify(reference, kind, amount, outcome))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _settle_and_notify(
        self, reference: str, kind: PaymentKind, amount: int, outcome: str
    ) -> None:
        await asyncio.sleep(self._delay)
        if outcome in ("collect.succeeded", "payout.settled", "payout.failed"):
            async with UnitOfWork(self._database) as uow:
                uow.session.add(
                    SandboxRailTransaction(
                        rail_reference=reference,
                        kind=kind.value,
                        amount=amount,
                        status="returned" if outcome == "payout.failed" else "completed",
                        occurred_at=utcnow(),
                    )
                )
                await uow.commit()
        body = json.dumps(
            {
                "type": outcome,
                "rail_reference": reference,
                "amount": amount,
                "currency": "INR",
                "occurred_at": utcnow().isoformat(),
            }
        ).encode()
        webhook_id = f"wh_{secrets.token_hex(12)}"
        for attempt in range(self._max_attempts):
            # Re-signed on every attempt (fresh timestamp), same id: the receiver applies it once.
            headers: dict[str, Any] = sign(self._secret, webhook_id, body).as_dict()
            try:
                status = await self._send(WEBHOOK_PATH, body, headers)
            except Exception:
                log.warning("sandbox_rail.delivery_error", rail_reference=reference, exc_info=True)
                status = 0
            if 200 <= status < 300:
                return
            await asyncio.sleep(min(0.05 * 2**attempt, 2.0))
        log.error("sandbox_rail.gave_up", rail_reference=reference, outcome=outcome)


def _reference(prefix: str) -> str:
    return f"{prefix}{secrets.token_hex(8).upper()}"

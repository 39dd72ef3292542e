"""Payments HTTP API: bank accounts, deposits, withdrawals, the rail's webhook, reconciliation."""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, status

from liquibond.identity.deps import CurrentPrincipal, require_role
from liquibond.identity.models import Role
from liquibond.identity.service import Principal
from liquibond.kyc.service import KycChecks
from liquibond.payments.models import PaymentKind, PaymentStatus
from liquibond.payments.runtime import lifespan
from liquibond.payments.schemas import (
    BankAccountCreate,
    BankAccountOut,
    DepositOut,
    DepositRequest,
    PaymentOut,
    Reconciliation,
    ReconciliationBreakOut,
    WithdrawalRequest,
)
from liquibond.payments.service import PaymentService, RailEvent
from liquibond.platform.errors import BadRequest
from liquibond.platform.routing import Session, TransactionalRoute, get_session
from liquibond.platform.schemas import Page, PageCursor, PageLimit
from liquibond.platform.webhooks import claim_webhook, verify

payments = APIRouter(
    prefix="/api/v1", tags=["payments"], route_class=TransactionalRoute, lifespan=lifespan
)
webhooks = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"], route_class=TransactionalRoute)
admin = APIRouter(prefix="/api/v1/admin/payments", tags=["admin"], route_class=TransactionalRoute)

WEBHOOK_SOURCE = "payments"


def payment_service(request: Request) -> PaymentService:
    """The payment service bound to the request's unit of work and the configured rail."""
    session = get_session(request)
    return PaymentService(
        session,
        request.app.state.payment_rail,
        request.app.state.credentials.cipher,
        KycChecks(session).require_verified,
    )


Payments = Annotated[PaymentService, Depends(payment_service)]
Overseer = Annotated[Principal, Depends(require_role(Role.ADMIN, Role.COMPLIANCE))]


@payments.post("/bank-accounts", status_code=status.HTTP_201_CREATED)
async def add_bank_account(
    body: BankAccountCreate, principal: CurrentPrincipal, service: Payments
) -> BankAccountOut:
    """Register a bank account; it is verified at once by penny drop."""
    return BankAccountOut.model_validate(await service.add_bank_account(principal.user_id, body))


@payments.get("/bank-accounts")
async def list_bank_accounts(
    principal: CurrentPrincipal, service: Payments
) -> list[BankAccountOut]:
    """My bank accounts (numbers masked)."""
    return [
        BankAccountOut.model_validate(a) for a in await service.bank_accounts(principal.user_id)
    ]


@payments.post("/deposits", status_code=status.HTTP_201_CREATED)
async def deposit(
    body: DepositRequest, principal: CurrentPrincipal, service: Payments
) -> DepositOut:
    """Deposit rupees (KYC verified users): credited when the rail confirms the payment."""
    payment, instructions = await service.deposit(principal.user_id, body)
    return DepositOut.model_validate(
        {**PaymentOut.model_validate(payment).model_dump(), "instructions": instructions}
    )


@payments.post("/withdrawals", status_code=status.HTTP_201_CREATED)
async def withdraw(
    body: WithdrawalRequest, principal: CurrentPrincipal, service: Payments
) -> PaymentOut:
    """Withdraw to a verified bank account: the funds are held until the bank pays them out."""
    return PaymentOut.model_validate(await service.withdraw(principal.user_id, body))


@payments.get("/payments")
async def list_payments(
    principal: CurrentPrincipal,
    service: Payments,
    limit: PageLimit = 50,
    cursor: PageCursor = None,
    kind: Annotated[PaymentKind | None, Query()] = None,
    status_: Annotated[PaymentStatus | None, Query(alias="status")] = None,
) -> Page[PaymentOut]:
    """My deposits and withdrawals, newest first."""
    rows, next_cursor = await service.payments(
        principal.user_id, limit=limit, cursor=cursor, kind=kind, status=status_
    )
    return Page[PaymentOut](
        items=[PaymentOut.model_validate(r) for r in rows], next_cursor=next_cursor
    )


@payments.get("/payments/{payment_id}")
async def get_payment(
    payment_id: uuid.UUID, principal: CurrentPrincipal, service: Payments
) -> PaymentOut:
    """One of my payments."""
    return PaymentOut.model_validate(await service.payment(principal.user_id, payment_id))


@webhooks.post("/payments", include_in_schema=True)
async def payment_rail_webhook(
    request: Request, session: Session, service: Payments
) -> dict[str, str]:
    """The rail reports an outcome (Standard Webhooks signature; each webhook id applied once)."""
    body = await request.body()
    secret: bytes = request.app.state.settings.webhook_secret(WEBHOOK_SOURCE)
    webhook_id = verify(secret, request.headers, body)
    if not await claim_webhook(session, WEBHOOK_SOURCE, webhook_id):
        return {"status": "duplicate"}
    await service.apply_rail_event(_rail_event(body))
    return {"status": "processed"}


def _rail_event(body: bytes) -> RailEvent:
    try:
        data: Any = json.loads(body)
        if type(data["amount"]) is not int:  # minor units: never a float
            raise TypeError("amount must be an integer")
        return RailEvent(
            type=str(data["type"]),
            rail_reference=str(data["rail_reference"]),
            amount=data["amount"],
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise BadRequest(
            code="webhook.malformed", detail="The webhook body is not a rail event."
        ) from exc


@admin.get("/reconciliation")
async def reconcile(_overseer: Overseer, service: Payments) -> Reconciliation:
    """Compare the rail's statement with our books (admin and compliance)."""
    breaks = await service.reconcile()
    return Reconciliation(
        balanced=not breaks,
        breaks=[
            ReconciliationBreakOut(rail_reference=b.rail_reference, problem=b.problem)
            for b in breaks
        ],
    )


routers = [payments, webhooks, admin]

"""The demo faucet: in demo mode, every new user starts with play money (never in production)."""

from __future__ import annotations

import uuid

from liquibond.ledger.entries import FAUCET, AccountKey, Owner
from liquibond.ledger.models import Bucket
from liquibond.ledger.service import LedgerService
from liquibond.platform.outbox import Event
from liquibond.platform.uow import UnitOfWork

FAUCET_AMOUNT = 10_00_000_00  # ₹10,00,000 in paise


async def fund_new_user(uow: UnitOfWork, event: Event) -> None:
    """Credit a newly registered user from the faucet (once: the reference is unique)."""
    user_id = uuid.UUID(event.data["user_id"])
    await LedgerService(uow.session).move(
        "faucet",
        "Demo funds",
        source=AccountKey(FAUCET, "INR", Bucket.SYSTEM),
        destination=AccountKey(Owner.user(user_id), "INR", Bucket.AVAILABLE),
        amount=FAUCET_AMOUNT,
        reference=f"faucet:{user_id}",
    )

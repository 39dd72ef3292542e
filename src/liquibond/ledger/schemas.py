"""Ledger API shapes: amounts are integers in minor units, with the scale beside them."""

from __future__ import annotations

import uuid
from datetime import datetime

from liquibond.ledger.models import Bucket
from liquibond.platform.schemas import ResponseModel


class BalanceOut(ResponseModel):
    """One balance: `balance` minor units; the amount is balance / 10**scale."""

    asset: str
    bucket: Bucket
    balance: int
    scale: int


class StatementLineOut(ResponseModel):
    """One posting on one of my accounts."""

    posting_id: int
    entry_id: uuid.UUID
    kind: str
    description: str
    asset: str
    bucket: Bucket
    amount: int
    balance_after: int
    created_at: datetime

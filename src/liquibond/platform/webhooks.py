"""Inbound and outbound webhooks in the Standard Webhooks style.

The signature is HMAC-SHA256 over `{webhook-id}.{webhook-timestamp}.{body}`, sent as
`webhook-signature: v1,<base64>` (several space-separated signatures allowed, for key
rotation). A receiver checks the signature in constant time, refuses timestamps more than
five minutes away, and processes each webhook id once (`claim_webhook`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import String
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from liquibond.platform.db import Base, utcnow
from liquibond.platform.errors import Unauthorized

TOLERANCE_SECONDS = 300
_SIGNATURE_VERSION = "v1"


class ReceivedWebhook(Base):
    """A webhook id already processed for a source; a replay finds its row and stops."""

    __tablename__ = "received_webhooks"

    source: Mapped[str] = mapped_column(String(50), primary_key=True)
    webhook_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


@dataclass(frozen=True, slots=True)
class SignedHeaders:
    """The three headers a signed webhook carries."""

    webhook_id: str
    timestamp: int
    signature: str

    def as_dict(self) -> dict[str, str]:
        """The headers as sent over HTTP."""
        return {
            "webhook-id": self.webhook_id,
            "webhook-timestamp": str(self.timestamp),
            "webhook-signature": self.signature,
        }


def _mac(secret: bytes, webhook_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    return base64.b64encode(hmac.new(secret, signed, hashlib.sha256).digest()).decode()


def sign(
    secret: bytes, webhook_id: str, body: bytes, *, timestamp: int | None = None
) -> SignedHeaders:
    """Headers for sending `body` as webhook `webhook_id` (used by the sandbox rails)."""
    at = int(time.time()) if timestamp is None else timestamp
    return SignedHeaders(
        webhook_id, at, f"{_SIGNATURE_VERSION},{_mac(secret, webhook_id, at, body)}"
    )


def _refuse(code: str, detail: str) -> Unauthorized:
    return Unauthorized(code=code, detail=detail)


def verify(
    secret: bytes,
    headers: Mapping[str, str],
    body: bytes,
    *,
    now: Callable[[], float] = time.time,
) -> str:
    """The webhook id of an authentic, fresh webhook; 401 problems otherwise."""
    webhook_id = headers.get("webhook-id")
    timestamp_text = headers.get("webhook-timestamp")
    signatures = headers.get("webhook-signature")
    if not webhook_id or not timestamp_text or not signatures or len(webhook_id) > 255:
        raise _refuse(
            "webhook.missing_headers", "webhook-id, -timestamp and -signature are required."
        )
    try:
        timestamp = int(timestamp_text)
    except ValueError as exc:
        raise _refuse("webhook.bad_timestamp", "webhook-timestamp is not an integer.") from exc
    if abs(now() - timestamp) > TOLERANCE_SECONDS:
        raise _refuse("webhook.stale", "The webhook timestamp is outside the 5-minute tolerance.")
    expected = _mac(secret, webhook_id, timestamp, body)
    for candidate in signatures.split():
        version, _, value = candidate.partition(",")
        if version == _SIGNATURE_VERSION and hmac.compare_digest(value, expected):
            return webhook_id
    raise _refuse("webhook.bad_signature", "The webhook signature does not match.")


async def claim_webhook(session: AsyncSession, source: str, webhook_id: str) -> bool:
    """Record a webhook id in the caller's transaction; False if it was processed before."""
    try:
        async with session.begin_nested():
            session.add(ReceivedWebhook(source=source, webhook_id=webhook_id))
    except IntegrityError:
        return False
    return True

"""Standard-Webhooks signatures: authentic, fresh, once."""

from __future__ import annotations

import pytest
from fastapi import FastAPI

from liquibond.platform.errors import Unauthorized
from liquibond.platform.uow import UnitOfWork
from liquibond.platform.webhooks import claim_webhook, sign, verify

SECRET = b"s3cret-shared-with-the-rail"
BODY = b'{"type": "deposit.confirmed", "amount": 125000}'
NOW = 1_800_000_000


def _verify(
    headers: dict[str, str], body: bytes = BODY, secret: bytes = SECRET, now: int = NOW
) -> str:
    return verify(secret, headers, body, now=lambda: now)


def test_authentic_webhook_is_accepted() -> None:
    headers = sign(SECRET, "wh_1", BODY, timestamp=NOW).as_dict()
    assert _verify(headers) == "wh_1"
    assert _verify(headers, now=NOW + 299) == "wh_1"


@pytest.mark.parametrize(
    ("mutate", "code"),
    [
        (lambda h, b: (h, b.replace(b"125000", b"925000")), "webhook.bad_signature"),
        (lambda h, b: ({**h, "webhook-id": "wh_2"}, b), "webhook.bad_signature"),
        (lambda h, b: ({**h, "webhook-timestamp": str(NOW + 1)}, b), "webhook.bad_signature"),
        (lambda h, b: ({**h, "webhook-timestamp": str(NOW - 301)}, b), "webhook.stale"),
        (lambda h, b: ({**h, "webhook-timestamp": "soon"}, b), "webhook.bad_timestamp"),
        (
            lambda h, b: ({k: v for k, v in h.items() if k != "webhook-signature"}, b),
            "webhook.missing_headers",
        ),
        (
            lambda h, b: ({**h, "webhook-signature": "v2," + h["webhook-signature"][3:]}, b),
            "webhook.bad_signature",
        ),
    ],
)
def test_tampered_stale_or_incomplete_webhooks_are_refused(mutate, code) -> None:  # type: ignore[no-untyped-def]
    headers, body = mutate(sign(SECRET, "wh_1", BODY, timestamp=NOW).as_dict(), BODY)
    with pytest.raises(Unauthorized) as refused:
        _verify(headers, body)
    assert refused.value.code == code


def test_wrong_secret_is_refused_and_rotation_accepts_either() -> None:
    headers = sign(b"old-secret", "wh_1", BODY, timestamp=NOW).as_dict()
    with pytest.raises(Unauthorized):
        _verify(headers)
    new = sign(SECRET, "wh_1", BODY, timestamp=NOW).signature
    rotated = {**headers, "webhook-signature": f"{headers['webhook-signature']} {new}"}
    assert _verify(rotated) == "wh_1"


async def test_each_webhook_id_is_claimed_once_per_source(app: FastAPI) -> None:
    async with UnitOfWork(app.state.database) as uow:
        assert await claim_webhook(uow.session, "payments", "wh_1") is True
        assert await claim_webhook(uow.session, "payments", "wh_1") is False
        assert await claim_webhook(uow.session, "kyc", "wh_1") is True
        await uow.commit()
    async with UnitOfWork(app.state.database) as uow:
        assert await claim_webhook(uow.session, "payments", "wh_1") is False

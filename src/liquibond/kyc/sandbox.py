"""A sandbox KYC provider that behaves like India's DPI rails, deterministically.

It "verifies" the PAN with the Income Tax Department, "pulls" the investor's Aadhaar
offline e-KYC XML through DigiLocker and compares it with what was declared, then sends
its verdict as a signed webhook, in the background, to the app's own webhook handling,
retrying like a real provider would. The outcome is decided by the PAN's four digits:

| digits | PAN check                      | DigiLocker pull               | outcome               |
|--------|--------------------------------|-------------------------------|-----------------------|
| 9990   | not found                      | -                             | rejected              |
| 9991   | inoperative (Aadhaar unlinked) | -                             | rejected              |
| 9992   | valid                          | unreadable on the 1st attempt | needs_info, then full |
| 9993   | valid                          | date of birth differs         | refer (to compliance) |
| 9994   | valid                          | no Aadhaar in DigiLocker      | verified, basic tier  |
| other  | valid                          | matches                       | verified, full tier   |

e.g. `ABCPE9990F` is rejected and `ABCPE1234F` verified. Never used in production.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Final

import structlog

from liquibond.kyc.models import KycTier
from liquibond.kyc.provider import ProviderOutcome, VerificationRequest, VerificationResult
from liquibond.platform.webhooks import sign

log = structlog.get_logger(__name__)

#: Receives a signed webhook as a provider would POST it: headers and raw body.
WebhookSink = Callable[[Mapping[str, str], bytes], Awaitable[object]]

PAN_NOT_FOUND: Final = "9990"
PAN_INOPERATIVE: Final = "9991"
DOCUMENT_UNREADABLE_ONCE: Final = "9992"
IDENTITY_MISMATCH: Final = "9993"
NO_DIGILOCKER_RECORD: Final = "9994"

#: Pause before each delivery attempt, in seconds.
RETRY_DELAYS: Final = (0.0, 1.0, 5.0, 30.0)


def assess(request: VerificationRequest) -> VerificationResult:
    """The sandbox's verdict on a request (see the table in the module docstring)."""
    digits = request.pan[5:9]
    if digits == PAN_NOT_FOUND:
        return _result(
            request, ProviderOutcome.REJECTED, {"pan_status": "not_found"}, "PAN not found."
        )
    if digits == PAN_INOPERATIVE:
        checks: dict[str, str | bool] = {"pan_status": "inoperative", "aadhaar_seeded": False}
        return _result(request, ProviderOutcome.REJECTED, checks, "PAN is inoperative.")
    checks = {"pan_status": "valid", "aadhaar_seeded": True}
    if digits == DOCUMENT_UNREADABLE_ONCE and request.attempt == 1:
        checks["digilocker"] = "unreadable"
        reason = "The document could not be read; upload a clearer copy."
        return _result(request, ProviderOutcome.NEEDS_INFO, checks, reason)
    record = _pull_aadhaar(request, digits)
    if record is None:
        checks["digilocker"] = "not_found"
        return _result(request, ProviderOutcome.VERIFIED, checks, tier=KycTier.BASIC)
    checks |= {
        "digilocker": "found",
        "date_of_birth_match": record.date_of_birth == request.date_of_birth,
        "pincode_match": record.pincode == request.pincode,
    }
    if not (checks["date_of_birth_match"] and checks["pincode_match"]):
        reason = "The Aadhaar e-KYC record differs from the declared details."
        return _result(request, ProviderOutcome.REFER, checks, reason)
    return _result(request, ProviderOutcome.VERIFIED, checks, tier=KycTier.FULL)


@dataclass(frozen=True, slots=True)
class _AadhaarRecord:
    date_of_birth: date = field(repr=False)
    pincode: str = field(repr=False)


def _pull_aadhaar(request: VerificationRequest, digits: str) -> _AadhaarRecord | None:
    """The offline e-KYC record DigiLocker would return: synthetic, built from the request."""
    if digits == NO_DIGILOCKER_RECORD:
        return None
    born = request.date_of_birth
    if digits == IDENTITY_MISMATCH:
        born -= timedelta(days=400)
    return _AadhaarRecord(born, request.pincode)


def _result(
    request: VerificationRequest,
    outcome: ProviderOutcome,
    checks: dict[str, str | bool],
    reason: str | None = None,
    *,
    tier: KycTier | None = None,
) -> VerificationResult:
    return VerificationResult(
        application_id=request.application_id,
        attempt=request.attempt,
        outcome=outcome,
        tier=tier,
        reason=reason,
        checks=checks,
    )


class SandboxKycProvider:
    """The embedded provider: decides at once, delivers its signed webhook in the background."""

    def __init__(self, secret: bytes, sink: WebhookSink) -> None:
        self._secret = secret
        self._sink = sink
        self._deliveries: set[asyncio.Task[None]] = set()

    async def start(self, request: VerificationRequest) -> None:
        """Decide now and schedule the webhook (its id is stable, so a re-send is a duplicate)."""
        result = assess(request)
        webhook_id = f"kyc_sandbox_{request.application_id.hex}_{request.attempt}"
        delivery = asyncio.create_task(
            self._deliver(webhook_id, result.model_dump_json().encode()),
            name=f"kyc-sandbox-{webhook_id}",
        )
        self._deliveries.add(delivery)
        delivery.add_done_callback(self._deliveries.discard)

    def parse_result(self, body: bytes) -> VerificationResult:
        """The sandbox's webhook body is a `VerificationResult` as JSON."""
        return VerificationResult.model_validate_json(body)

    async def aclose(self) -> None:
        """Cancel deliveries still waiting (the app is stopping)."""
        for delivery in list(self._deliveries):
            delivery.cancel()
        await asyncio.gather(*self._deliveries, return_exceptions=True)

    async def _deliver(self, webhook_id: str, body: bytes) -> None:
        for attempt, delay in enumerate(RETRY_DELAYS, start=1):
            await asyncio.sleep(delay)
            try:
                # Signed afresh each time, as a provider's retry carries a new timestamp.
                await self._sink(sign(self._secret, webhook_id, body).as_dict(), body)
            except Exception:
                log.warning(
                    "kyc.sandbox.delivery_failed",
                    webhook_id=webhook_id,
                    attempt=attempt,
                    exc_info=True,
                )
            else:
                log.info("kyc.sandbox.delivered", webhook_id=webhook_id)
                return
        log.error("kyc.sandbox.delivery_abandoned", webhook_id=webhook_id)

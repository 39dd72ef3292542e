"""The verification-provider port: ask for a check now, hear the outcome later by webhook.

A provider adapter is started with a `VerificationRequest` when an application is
submitted; it answers, whenever it is done, with a Standard-Webhooks-signed POST to
`/api/v1/webhooks/kyc` (secret: `settings.webhook_secret("kyc")`), whose body the same
adapter translates into a `VerificationResult`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Literal, Protocol, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from liquibond.kyc.models import KycTier


class ProviderOutcome(StrEnum):
    """What the provider concluded; `refer` leaves the decision to compliance."""

    VERIFIED = "verified"
    REJECTED = "rejected"
    NEEDS_INFO = "needs_info"
    REFER = "refer"


@dataclass(frozen=True, slots=True)
class VerificationRequest:
    """What the provider checks; PII is left out of the repr so it cannot reach a log."""

    application_id: uuid.UUID
    attempt: int
    pan: str = field(repr=False)
    date_of_birth: date = field(repr=False)
    pincode: str = field(repr=False)


class VerificationResult(BaseModel):
    """A provider's verdict on one attempt of one application (never carries PII)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    type: Literal["kyc.verification.completed"] = "kyc.verification.completed"
    application_id: uuid.UUID
    attempt: int = Field(ge=1)
    outcome: ProviderOutcome
    tier: KycTier | None = None
    reason: str | None = Field(default=None, max_length=500)
    checks: dict[str, str | bool] = Field(default_factory=dict, max_length=20)

    @model_validator(mode="after")
    def _tier_only_when_verified(self) -> Self:
        if (self.outcome is ProviderOutcome.VERIFIED) != (self.tier is not None):
            raise ValueError("a tier comes with, and only with, a verified outcome")
        return self


class KycProvider(Protocol):
    """An identity-verification service (PAN, Aadhaar/DigiLocker documents)."""

    async def start(self, request: VerificationRequest) -> None:
        """Ask for verification; the outcome arrives later as a signed webhook."""

    def parse_result(self, body: bytes) -> VerificationResult:
        """The body of an authenticated webhook as a result (ValueError if malformed)."""

"""KYC API shapes. Responses carry PII only masked."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import UploadFile
from pydantic import AfterValidator, Field

from liquibond.kyc.documents import MAX_DOCUMENT_BYTES
from liquibond.kyc.models import DocumentKind, KycStatus, KycTier
from liquibond.kyc.pii import normalise_pan
from liquibond.platform.schemas import RequestModel, ResponseModel

Pan = Annotated[
    str,
    Field(min_length=10, max_length=10, description="e.g. ABCPE1234F; the 4th letter P"),
    AfterValidator(normalise_pan),
]
Reason = Annotated[str, Field(min_length=3, max_length=500)]


class KycSubmission(RequestModel):
    """An application, sent as `multipart/form-data` with the document as a file part.

    PII stays out of the repr, so no traceback or log line can show it.
    """

    pan: Pan = Field(repr=False)
    date_of_birth: date = Field(gt=date(1900, 1, 1), repr=False)
    address_line: str = Field(
        min_length=5, max_length=200, description="house, street, locality", repr=False
    )
    city: str = Field(min_length=2, max_length=100, repr=False)
    state: str = Field(min_length=2, max_length=100, repr=False)
    pincode: str = Field(pattern=r"^[1-9][0-9]{5}$", description="six-digit PIN code", repr=False)
    document_kind: DocumentKind
    document: UploadFile = Field(
        description=f"PDF, JPEG or PNG, up to {MAX_DOCUMENT_BYTES // 1024} KiB", repr=False
    )
    consent: bool = Field(description="must be true: consent to verification under the terms")
    terms_version: str = Field(max_length=20, description="the version of the terms consented to")


class KycDocumentOut(ResponseModel):
    """An uploaded document's metadata."""

    id: uuid.UUID
    kind: DocumentKind
    content_type: str
    size_bytes: int
    attempt: int
    created_at: datetime


class KycConsentOut(ResponseModel):
    """A recorded consent."""

    purpose: str
    terms_version: str
    consented_at: datetime


class KycApplicationOut(ResponseModel):
    """An application as its investor sees it: PII masked."""

    id: uuid.UUID
    status: KycStatus
    tier: KycTier | None
    attempt: int
    pan_masked: str = Field(examples=["XXXXX1234X"])
    birth_year: int
    pincode_masked: str = Field(examples=["400XXX"])
    reason: str | None
    documents: list[KycDocumentOut]
    consents: list[KycConsentOut]
    submitted_at: datetime
    decided_at: datetime | None
    created_at: datetime


class KycReviewItem(KycApplicationOut):
    """An application in the compliance queue: still masked, plus review state."""

    user_id: uuid.UUID
    applicant_email: str
    applicant_name: str
    assignee_id: uuid.UUID | None
    assigned_at: datetime | None
    decided_by: uuid.UUID | None
    provider_outcome: str | None
    provider_checks: dict[str, Any] | None
    revoked_at: datetime | None = Field(description="When a verification was last revoked")
    revoked_by: uuid.UUID | None
    revocation_reason: str | None


class ReviewDecision(RequestModel):
    """A reviewer's reason for rejecting, asking for more or revoking (shown to the investor)."""

    reason: Reason


class ApprovalDecision(ReviewDecision):
    """A reviewer's approval and the tier it grants."""

    tier: KycTier


class WebhookReceipt(ResponseModel):
    """What became of a webhook: applied, a duplicate, or about a superseded attempt."""

    status: Literal["applied", "duplicate", "superseded"]

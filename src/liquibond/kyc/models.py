"""KYC tables: applications, their documents and consents.

PII (PAN, date of birth, address) is stored only as AES-GCM ciphertext bound to the
application id; `pan_digest` is a keyed hash (a blind index) so one PAN maps to one account.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from liquibond.platform.db import Base, CreatedAt, IdPrimaryKey, utcnow


class KycStatus(StrEnum):
    """Where an application stands."""

    PENDING = "pending"
    VERIFIED = "verified"
    REJECTED = "rejected"
    NEEDS_INFO = "needs_info"
    #: Compliance withdrew a verification (e.g. a sanctions hit, or documents found forged).
    REVOKED = "revoked"


class KycTier(StrEnum):
    """How thoroughly a verified investor was checked (`full` satisfies `basic`)."""

    BASIC = "basic"
    FULL = "full"


class DocumentKind(StrEnum):
    """The officially valid document an investor uploads."""

    PAN_CARD = "pan_card"
    AADHAAR = "aadhaar"
    PASSPORT = "passport"
    DRIVING_LICENCE = "driving_licence"
    VOTER_ID = "voter_id"


class KycApplication(IdPrimaryKey, CreatedAt, Base):
    """One investor's KYC application (one per user; resubmissions update it)."""

    __tablename__ = "kyc_applications"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), unique=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    tier: Mapped[str | None] = mapped_column(String(10))
    #: How many times the investor has submitted (1 for the first submission).
    attempt: Mapped[int]
    pan_digest: Mapped[str] = mapped_column(String(64), unique=True)
    pan_ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    date_of_birth_ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    address_ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    submitted_at: Mapped[datetime]
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), index=True)
    assigned_at: Mapped[datetime | None]
    #: The reviewer who decided, or None when the provider did.
    decided_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    #: Why it was rejected or needs more information; shown to the investor.
    reason: Mapped[str | None] = mapped_column(String(500))
    provider_outcome: Mapped[str | None] = mapped_column(String(20))
    provider_checks: Mapped[dict[str, Any] | None]
    #: The last revocation of a verification: when, by whom and why. Kept through a
    #: re-application, whose reviewer needs to know it (and which no provider may decide).
    revoked_at: Mapped[datetime | None]
    revoked_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    revocation_reason: Mapped[str | None] = mapped_column(String(500))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class KycDocument(IdPrimaryKey, CreatedAt, Base):
    """An uploaded document; its bytes are encrypted in the document store under `storage_key`."""

    __tablename__ = "kyc_documents"

    application_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("kyc_applications.id"), index=True)
    attempt: Mapped[int]
    kind: Mapped[str] = mapped_column(String(30))
    content_type: Mapped[str] = mapped_column(String(50))
    size_bytes: Mapped[int]
    storage_key: Mapped[str] = mapped_column(String(100), unique=True)


class KycConsent(IdPrimaryKey, Base):
    """The investor's consent, recorded with every submission."""

    __tablename__ = "kyc_consents"

    application_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("kyc_applications.id"), index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    purpose: Mapped[str] = mapped_column(String(100))
    terms_version: Mapped[str] = mapped_column(String(20))
    consented_at: Mapped[datetime] = mapped_column(default=utcnow)

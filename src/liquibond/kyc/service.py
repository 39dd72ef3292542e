"""KYC use cases: submission, compliance review and revocation, provider results, and the
checks other domains rely on (`KycChecks.require_verified`, `KycChecks.status_of`)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Final, Literal

import structlog
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from liquibond.config import Settings
from liquibond.identity.service import user_cards
from liquibond.kyc.documents import (
    MAX_DOCUMENT_BYTES,
    DocumentStore,
    LocalDocumentStore,
    check_document,
)
from liquibond.kyc.lifecycle import can_move
from liquibond.kyc.models import (
    DocumentKind,
    KycApplication,
    KycConsent,
    KycDocument,
    KycStatus,
    KycTier,
)
from liquibond.kyc.pii import INDIVIDUAL, PiiSealer, holder_type, mask_pan, mask_pincode
from liquibond.kyc.provider import KycProvider, ProviderOutcome, VerificationRequest
from liquibond.kyc.schemas import (
    KycApplicationOut,
    KycReviewItem,
    KycSubmission,
    WebhookReceipt,
)
from liquibond.platform.audit import record_audit
from liquibond.platform.db import new_id, utcnow
from liquibond.platform.errors import (
    Conflict,
    FieldError,
    Forbidden,
    ServiceUnavailable,
    Unprocessable,
    not_found,
)
from liquibond.platform.outbox import record_event
from liquibond.platform.ownership import owned
from liquibond.platform.schemas import as_uuid, cursor_value, encode_cursor
from liquibond.platform.webhooks import claim_webhook, verify

log = structlog.get_logger(__name__)

#: The terms an investor consents to when submitting; bump when the text changes.
TERMS_VERSION: Final = "2026-11"
CONSENT_PURPOSE: Final = "kyc.identity_verification"
MINIMUM_AGE: Final = 18
WEBHOOK_SOURCE: Final = "kyc"
#: A review-queue filter: one reviewer's applications, nobody's (`"none"`), or anybody's.
AssigneeFilter = uuid.UUID | Literal["none"] | None

#: The name under which entering each status is audited (`kyc.<name>`) and announced.
_ENTERED: Final = {
    KycStatus.PENDING: "submitted",
    KycStatus.VERIFIED: "verified",
    KycStatus.REJECTED: "rejected",
    KycStatus.NEEDS_INFO: "needs_info",
    KycStatus.REVOKED: "revoked",
}
_PROVIDER_DECISIONS: Final = {
    ProviderOutcome.VERIFIED: KycStatus.VERIFIED,
    ProviderOutcome.REJECTED: KycStatus.REJECTED,
    ProviderOutcome.NEEDS_INFO: KycStatus.NEEDS_INFO,
}
_TIER_RANK: Final = {KycTier.BASIC: 1, KycTier.FULL: 2}
#: Columns shown as they are (masked PII is added to them).
_VIEW_COLUMNS: Final = (
    "id",
    "user_id",
    "status",
    "tier",
    "attempt",
    "reason",
    "submitted_at",
    "decided_at",
    "decided_by",
    "created_at",
    "assignee_id",
    "assigned_at",
    "provider_outcome",
    "provider_checks",
    "revoked_at",
    "revoked_by",
    "revocation_reason",
)


@dataclass(frozen=True, slots=True)
class KycStanding:
    """A user's KYC status (None before any submission) and, once verified, tier."""

    status: KycStatus | None
    tier: KycTier | None

    def satisfies(self, tier: KycTier) -> bool:
        """True if verified at `tier` or above."""
        return (
            self.status is KycStatus.VERIFIED
            and self.tier is not None
            and _TIER_RANK[self.tier] >= _TIER_RANK[tier]
        )


@dataclass(frozen=True, slots=True)
class KycComponents:
    """The collaborators KYC needs, built once per app."""

    sealer: PiiSealer
    documents: DocumentStore
    webhook_secret: bytes
    #: None where no provider is configured: every application waits for compliance.
    provider: KycProvider | None

    @classmethod
    def from_settings(cls, settings: Settings, *, provider: KycProvider | None) -> KycComponents:
        """Components keyed and rooted by settings, documents under the data directory."""
        return cls(
            sealer=PiiSealer(settings.field_encryption_key),
            documents=LocalDocumentStore((settings.data_dir / "kyc" / "documents").resolve()),
            webhook_secret=settings.webhook_secret(WEBHOOK_SOURCE),
            provider=provider,
        )


class KycChecks:
    """What other domains ask of KYC; needs nothing but a session."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def status_of(self, user_id: uuid.UUID) -> KycStanding:
        """The user's KYC status and tier."""
        row = (
            await self._session.execute(
                select(KycApplication.status, KycApplication.tier).where(
                    KycApplication.user_id == user_id
                )
            )
        ).one_or_none()
        if row is None:
            return KycStanding(None, None)
        return KycStanding(KycStatus(row.status), KycTier(row.tier) if row.tier else None)

    async def require_verified(self, user_id: uuid.UUID, *, tier: KycTier = KycTier.BASIC) -> None:
        """403 `kyc.not_verified` unless the user is verified (at `tier` or above)."""
        standing = await self.status_of(user_id)
        if standing.status is not KycStatus.VERIFIED:
            raise Forbidden(
                code="kyc.not_verified",
                detail="Complete KYC verification first.",
                extra={"kyc_status": standing.status},
            )
        if not standing.satisfies(tier):
            raise Forbidden(
                code="kyc.tier_insufficient",
                detail=f"This needs {tier} KYC; yours is {standing.tier}.",
                extra={"kyc_tier": standing.tier, "required_tier": tier},
            )


class KycService(KycChecks):
    """KYC use cases over one unit of work's session; never commits."""

    def __init__(self, session: AsyncSession, components: KycComponents) -> None:
        super().__init__(session)
        self._components = components
        self._sealer = components.sealer

    # -- investors ----------------------------------------------------------------------------

    async def submit(self, user_id: uuid.UUID, form: KycSubmission) -> tuple[KycApplication, bool]:
        """Submit, or resubmit after a request for information; True if newly created."""
        _check_applicant(form)
        content = await form.document.read(MAX_DOCUMENT_BYTES + 1)
        media_type = check_document(content, form.document.content_type)
        application = await self._session.scalar(
            select(KycApplication).where(KycApplication.user_id == user_id).with_for_update()
        )
        _ensure_transition(_status(application), KycStatus.PENDING)
        pan_digest = self._sealer.pan_digest(form.pan)
        holder = await self._session.scalar(
            select(KycApplication.user_id).where(KycApplication.pan_digest == pan_digest)
        )
        if holder not in (None, user_id):
            raise Conflict(code="kyc.pan_in_use", detail="This PAN belongs to another account.")
        created = application is None
        if application is None:
            application = KycApplication(id=new_id(), user_id=user_id, attempt=0)
        self._seal_identity(application, form, pan_digest)
        document = await self._store_document(application, form.document_kind, content, media_type)
        await self._move(application, KycStatus.PENDING, actor_id=user_id, via="investor")
        if created:
            await self._insert_new(application)
        self._session.add_all(
            [
                document,
                KycConsent(
                    application_id=application.id,
                    user_id=user_id,
                    purpose=CONSENT_PURPOSE,
                    terms_version=form.terms_version,
                    consented_at=application.submitted_at,
                ),
            ]
        )
        await self._session.flush()
        return application, created

    async def application_of(self, user_id: uuid.UUID) -> KycApplication:
        """The user's application; 404 before the first submission."""
        application = await self._session.scalar(
            select(KycApplication).where(KycApplication.user_id == user_id)
        )
        if application is None:
            raise not_found("kyc_application")
        return application

    async def own_application(
        self, user_id: uuid.UUID, application_id: uuid.UUID
    ) -> KycApplication:
        """An application by id; someone else's is a 404."""
        return await owned(
            self._session, KycApplication, application_id, user_id, "kyc_application"
        )

    async def describe(self, application: KycApplication) -> KycApplicationOut:
        """The application as its investor sees it (masked)."""
        (view,) = await self._views([application])
        return KycApplicationOut.model_validate(view)

    # -- compliance review --------------------------------------------------------------------

    async def review_queue(
        self,
        *,
        limit: int,
        cursor: str | None,
        status: KycStatus | None,
        assignee: AssigneeFilter,
    ) -> tuple[list[KycReviewItem], str | None]:
        """Applications oldest first, filtered by status and assignee, one page at a time."""
        query = select(KycApplication).order_by(KycApplication.id).limit(limit + 1)
        after = cursor_value(cursor, "after", as_uuid)
        if after is not None:
            query = query.where(KycApplication.id > after)
        if status is not None:
            query = query.where(KycApplication.status == status)
        if assignee == "none":
            query = query.where(KycApplication.assignee_id.is_(None))
        elif assignee is not None:
            query = query.where(KycApplication.assignee_id == assignee)
        applications = list(await self._session.scalars(query))
        page, more = applications[:limit], len(applications) > limit
        items = await self.review_items(page)
        return items, encode_cursor({"after": str(page[-1].id)}) if more else None

    async def review_items(self, applications: Sequence[KycApplication]) -> list[KycReviewItem]:
        """Applications as the compliance queue shows them (masked), with who applied."""
        cards = await user_cards(self._session, {row.user_id for row in applications})
        return [
            KycReviewItem.model_validate(
                view
                | {
                    "applicant_email": cards[view["user_id"]].email,
                    "applicant_name": cards[view["user_id"]].display_name,
                }
            )
            for view in await self._views(applications)
        ]

    async def assign(self, reviewer_id: uuid.UUID, application_id: uuid.UUID) -> KycApplication:
        """Take a pending application for review; nobody else may then decide it."""
        application = await self._locked(application_id)
        if application.user_id == reviewer_id:
            raise Forbidden(
                code="kyc.own_application", detail="You cannot review your own KYC application."
            )
        if application.status != KycStatus.PENDING:
            raise Conflict(
                code="kyc.not_pending",
                detail=f"Only pending applications are reviewed; this one is {application.status}.",
                extra={"kyc_status": application.status},
            )
        if application.assignee_id == reviewer_id:
            return application
        if application.assignee_id is not None:
            raise Conflict(
                code="kyc.already_assigned",
                detail="Another reviewer has taken this application.",
                extra={"assignee_id": str(application.assignee_id)},
            )
        application.assignee_id = reviewer_id
        application.assigned_at = application.updated_at = utcnow()
        await record_audit(
            self._session,
            actor_id=reviewer_id,
            action="kyc.assigned",
            target=_target(application),
            payload={"attempt": application.attempt},
        )
        return application

    async def decide(
        self,
        reviewer_id: uuid.UUID,
        application_id: uuid.UUID,
        target: KycStatus,
        *,
        reason: str,
        tier: KycTier | None = None,
    ) -> KycApplication:
        """The assignee approves (with a tier), rejects, or asks the investor for more."""
        application = await self._locked(application_id)
        _ensure_assignee(application, reviewer_id)
        await self._move(
            application, target, actor_id=reviewer_id, via="review", reason=reason, tier=tier
        )
        return application

    async def revoke(
        self, reviewer_id: uuid.UUID, application_id: uuid.UUID, *, reason: str
    ) -> KycApplication:
        """Withdraw a verification (compliance or an admin; the reason is shown to the
        investor). `kyc.revoked.v1` tells trading to cancel their resting orders and the chain
        to delist and freeze their wallets. They may apply again, for a review in person."""
        application = await self._locked(application_id)
        if application.user_id == reviewer_id:
            raise Forbidden(
                code="kyc.own_application", detail="You cannot revoke your own KYC verification."
            )
        await self._move(
            application, KycStatus.REVOKED, actor_id=reviewer_id, via="review", reason=reason
        )
        application.revoked_at = application.decided_at
        application.revoked_by = reviewer_id
        application.revocation_reason = reason
        # A re-application is a fresh review: whoever takes it, not the last reviewer.
        application.assignee_id = application.assigned_at = None
        return application

    async def document_for_review(
        self, reviewer_id: uuid.UUID, application_id: uuid.UUID
    ) -> tuple[KycDocument, bytes]:
        """The latest document of an application, decrypted, for its assignee only."""
        application = await self._session.get(KycApplication, application_id)
        if application is None:
            raise not_found("kyc_application")
        _ensure_assignee(application, reviewer_id)
        document = (
            await self._session.scalars(
                select(KycDocument)
                .where(KycDocument.application_id == application.id)
                .order_by(KycDocument.id.desc())
                .limit(1)
            )
        ).one()
        sealed = await self._components.documents.get(document.storage_key)
        log.info(
            "kyc.document_viewed",
            application_id=str(application.id),
            document_id=str(document.id),
            reviewer_id=str(reviewer_id),
        )
        return document, self._sealer.open(sealed, "document", document.id)

    # -- the verification provider ------------------------------------------------------------

    async def verification_request(
        self, application_id: uuid.UUID, attempt: int
    ) -> VerificationRequest | None:
        """What the provider needs to check an attempt; None once the attempt is superseded,
        and for a re-application after a revocation, which compliance reviews in person."""
        application = await self._session.get(KycApplication, application_id)
        if (
            application is None
            or application.attempt != attempt
            or application.status != KycStatus.PENDING
            or application.revoked_at is not None
        ):
            return None
        return VerificationRequest(
            application_id=application.id,
            attempt=attempt,
            pan=self._open(application, "pan"),
            date_of_birth=date.fromisoformat(self._open(application, "date_of_birth")),
            pincode=self._address(application)["pincode"],
        )

    async def receive_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookReceipt:
        """Apply a provider's signed result once; forged, stale or malformed ones are refused."""
        provider = self._components.provider
        if provider is None:
            raise ServiceUnavailable(
                code="kyc.provider_unconfigured", detail="No KYC provider is configured."
            )
        webhook_id = verify(self._components.webhook_secret, headers, body)
        try:
            result = provider.parse_result(body)
        except ValueError as exc:
            raise Unprocessable(
                code="kyc.webhook_malformed", detail="The body is not a verification result."
            ) from exc
        if not await claim_webhook(self._session, WEBHOOK_SOURCE, webhook_id):
            return WebhookReceipt(status="duplicate")
        application = await self._locked(result.application_id)
        if application.attempt != result.attempt or application.status != KycStatus.PENDING:
            log.info(
                "kyc.provider_result_superseded",
                application_id=str(application.id),
                attempt=result.attempt,
            )
            return WebhookReceipt(status="superseded")
        application.provider_outcome = result.outcome
        application.provider_checks = dict(result.checks)
        decision = _PROVIDER_DECISIONS.get(result.outcome)
        if decision is None:
            application.updated_at = utcnow()
            await record_audit(
                self._session,
                actor_id=None,
                action="kyc.referred",
                target=_target(application),
                payload={"attempt": application.attempt, "reason": result.reason},
            )
        else:
            await self._move(
                application,
                decision,
                actor_id=None,
                via="provider",
                reason=result.reason,
                tier=result.tier,
            )
        return WebhookReceipt(status="applied")

    # -- internals ----------------------------------------------------------------------------

    async def _move(
        self,
        application: KycApplication,
        target: KycStatus,
        *,
        actor_id: uuid.UUID | None,
        via: Literal["investor", "review", "provider"],
        reason: str | None = None,
        tier: KycTier | None = None,
    ) -> None:
        """The only place an application's status changes: checked, audited and announced."""
        current = _status(application)
        _ensure_transition(current, target)
        now = utcnow()
        deciding = target is not KycStatus.PENDING
        application.status = target
        application.tier = tier
        application.reason = reason
        application.decided_at = now if deciding else None
        application.decided_by = actor_id if deciding else None
        application.updated_at = now
        entered = _ENTERED[target]
        await record_audit(
            self._session,
            actor_id=actor_id,
            action=f"kyc.{entered}",
            target=_target(application),
            payload={
                "from": current,
                "to": target,
                "via": via,
                "attempt": application.attempt,
                "tier": tier,
                "reason": reason,
            },
        )
        record_event(
            self._session,
            f"kyc.{entered}.v1",
            {
                "application_id": str(application.id),
                "user_id": str(application.user_id),
                "status": target,
                "tier": tier,
                "attempt": application.attempt,
            },
        )

    async def _insert_new(self, application: KycApplication) -> None:
        self._session.add(application)
        try:
            await self._session.flush()
        except IntegrityError as exc:
            # A concurrent first submission for this account or PAN committed first.
            raise Conflict(
                code="kyc.already_submitted",
                detail="A KYC application for this account or PAN was just submitted.",
            ) from exc

    def _seal_identity(
        self, application: KycApplication, form: KycSubmission, pan_digest: str
    ) -> None:
        address = {
            "line": form.address_line,
            "city": form.city,
            "state": form.state,
            "pincode": form.pincode,
        }
        application.attempt += 1
        application.pan_digest = pan_digest
        application.pan_ciphertext = self._seal(application, "pan", form.pan)
        application.date_of_birth_ciphertext = self._seal(
            application, "date_of_birth", form.date_of_birth.isoformat()
        )
        application.address_ciphertext = self._seal(application, "address", json.dumps(address))
        application.submitted_at = utcnow()
        application.provider_outcome = None
        application.provider_checks = None

    async def _store_document(
        self, application: KycApplication, kind: DocumentKind, content: bytes, media_type: str
    ) -> KycDocument:
        document_id = new_id()
        await self._components.documents.put(
            document_id.hex, self._sealer.seal(content, "document", document_id)
        )
        return KycDocument(
            id=document_id,
            application_id=application.id,
            attempt=application.attempt,
            kind=kind,
            content_type=media_type,
            size_bytes=len(content),
            storage_key=document_id.hex,
        )

    def _seal(self, application: KycApplication, field: str, value: str) -> bytes:
        return self._sealer.seal(value.encode(), field, application.id)

    def _open(self, application: KycApplication, field: str) -> str:
        sealed: bytes = getattr(application, f"{field}_ciphertext")
        return self._sealer.open(sealed, field, application.id).decode()

    def _address(self, application: KycApplication) -> dict[str, str]:
        address: dict[str, str] = json.loads(self._open(application, "address"))
        return address

    async def _locked(self, application_id: uuid.UUID) -> KycApplication:
        application = await self._session.get(
            KycApplication, application_id, with_for_update=True, populate_existing=True
        )
        if application is None:
            raise not_found("kyc_application")
        return application

    async def _views(self, applications: Sequence[KycApplication]) -> list[dict[str, Any]]:
        if not applications:
            return []
        ids = [application.id for application in applications]
        documents = await self._session.scalars(
            select(KycDocument).where(KycDocument.application_id.in_(ids)).order_by(KycDocument.id)
        )
        consents = await self._session.scalars(
            select(KycConsent)
            .where(KycConsent.application_id.in_(ids))
            .order_by(KycConsent.consented_at, KycConsent.id)
        )
        documents_of: dict[uuid.UUID, list[KycDocument]] = {id_: [] for id_ in ids}
        consents_of: dict[uuid.UUID, list[KycConsent]] = {id_: [] for id_ in ids}
        for document in documents:
            documents_of[document.application_id].append(document)
        for consent in consents:
            consents_of[consent.application_id].append(consent)
        return [
            {
                **{column: getattr(application, column) for column in _VIEW_COLUMNS},
                "pan_masked": mask_pan(self._open(application, "pan")),
                "birth_year": date.fromisoformat(self._open(application, "date_of_birth")).year,
                "pincode_masked": mask_pincode(self._address(application)["pincode"]),
                "documents": documents_of[application.id],
                "consents": consents_of[application.id],
            }
            for application in applications
        ]


def _check_applicant(form: KycSubmission) -> None:
    holder = holder_type(form.pan)
    if holder != INDIVIDUAL:
        raise Unprocessable(
            code="kyc.pan_not_individual",
            detail=f"Only individuals can onboard here; this PAN's holder type is '{holder}'.",
            errors=[FieldError("body.pan", "not an individual's PAN")],
        )
    today = utcnow().date()
    born = form.date_of_birth
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    if age < MINIMUM_AGE:
        raise Unprocessable(
            code="kyc.underage",
            detail=f"Investors must be at least {MINIMUM_AGE} years old.",
            errors=[FieldError("body.date_of_birth", f"younger than {MINIMUM_AGE}")],
        )
    if not form.consent:
        raise Unprocessable(
            code="kyc.consent_required",
            detail="Consent to verification is required to submit KYC.",
            errors=[FieldError("body.consent", "must be true")],
        )
    if form.terms_version != TERMS_VERSION:
        raise Unprocessable(
            code="kyc.terms_outdated",
            detail=f"Consent must be to the current terms, version {TERMS_VERSION}.",
            errors=[FieldError("body.terms_version", f"expected {TERMS_VERSION}")],
            extra={"terms_version": TERMS_VERSION},
        )


def _ensure_transition(current: KycStatus | None, target: KycStatus) -> None:
    if not can_move(current, target):
        raise Conflict(
            code="kyc.invalid_transition",
            detail=f"A {current or 'new'} KYC application cannot become {target}.",
            extra={"kyc_status": current},
        )


def _ensure_assignee(application: KycApplication, reviewer_id: uuid.UUID) -> None:
    if application.assignee_id is None:
        raise Conflict(code="kyc.not_assigned", detail="Assign the application to yourself first.")
    if application.assignee_id != reviewer_id:
        raise Forbidden(code="kyc.not_assignee", detail="Only the assigned reviewer can act on it.")


def _status(application: KycApplication | None) -> KycStatus | None:
    """The current status; None for an application not yet submitted."""
    status = application.status if application is not None else None
    return KycStatus(status) if status else None


def _target(application: KycApplication) -> str:
    return f"kyc_application:{application.id}"

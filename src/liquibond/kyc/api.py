"""KYC HTTP API: investors' applications, the compliance queue and revocations, the
provider's webhook."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Query, Request, Response, status

from liquibond.identity.deps import CurrentPrincipal
from liquibond.kyc.deps import Kyc, ReviewerPrincipal
from liquibond.kyc.models import KycStatus
from liquibond.kyc.runtime import lifespan
from liquibond.kyc.schemas import (
    ApprovalDecision,
    KycApplicationOut,
    KycReviewItem,
    KycSubmission,
    ReviewDecision,
    WebhookReceipt,
)
from liquibond.platform.routing import TransactionalRoute
from liquibond.platform.schemas import Page, PageCursor, PageLimit

kyc = APIRouter(
    prefix="/api/v1/kyc", tags=["kyc"], route_class=TransactionalRoute, lifespan=lifespan
)
admin = APIRouter(prefix="/api/v1/admin/kyc", tags=["admin"], route_class=TransactionalRoute)
webhooks = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"], route_class=TransactionalRoute)

_SUBMIT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "Resubmitted after a request for information", "model": KycApplicationOut},
    409: {"description": "Already submitted, PAN in use, or not in a state to change"},
    413: {"description": "Document too large"},
    415: {"description": "Document is not a PDF, JPEG or PNG (by content)"},
    422: {"description": "Invalid PAN, age, consent or terms version"},
}
AssigneeQuery = Annotated[
    uuid.UUID | Literal["me", "none"] | None,
    Query(description="a reviewer's user id, `me`, or `none` (unassigned)"),
]


@kyc.post("", status_code=status.HTTP_201_CREATED, responses=_SUBMIT_RESPONSES)
async def submit(
    form: Annotated[KycSubmission, Form(media_type="multipart/form-data")],
    principal: CurrentPrincipal,
    service: Kyc,
    response: Response,
) -> KycApplicationOut:
    """Submit KYC as multipart/form-data with the `document` file (201), or resubmit (200)."""
    application, created = await service.submit(principal.user_id, form)
    if not created:
        response.status_code = status.HTTP_200_OK
    return await service.describe(application)


@kyc.get("")
async def my_application(principal: CurrentPrincipal, service: Kyc) -> KycApplicationOut:
    """The caller's application, PII masked."""
    return await service.describe(await service.application_of(principal.user_id))


@kyc.get("/{application_id}")
async def get_application(
    application_id: uuid.UUID, principal: CurrentPrincipal, service: Kyc
) -> KycApplicationOut:
    """One of the caller's applications by id (someone else's is a 404)."""
    return await service.describe(await service.own_application(principal.user_id, application_id))


@admin.get("")
async def review_queue(
    reviewer: ReviewerPrincipal,
    service: Kyc,
    limit: PageLimit = 50,
    cursor: PageCursor = None,
    kyc_status: Annotated[KycStatus | None, Query(alias="status")] = None,
    assignee: AssigneeQuery = None,
) -> Page[KycReviewItem]:
    """KYC applications, oldest first, for compliance and admins (PII masked)."""
    items, next_cursor = await service.review_queue(
        limit=limit,
        cursor=cursor,
        status=kyc_status,
        assignee=reviewer.user_id if assignee == "me" else assignee,
    )
    return Page[KycReviewItem](items=items, next_cursor=next_cursor)


@admin.post("/{application_id}/assign")
async def assign(
    application_id: uuid.UUID, reviewer: ReviewerPrincipal, service: Kyc
) -> KycReviewItem:
    """Take a pending application; only its assignee may then decide it."""
    application = await service.assign(reviewer.user_id, application_id)
    (item,) = await service.review_items([application])
    return item


@admin.post("/{application_id}/approve")
async def approve(
    application_id: uuid.UUID, body: ApprovalDecision, reviewer: ReviewerPrincipal, service: Kyc
) -> KycReviewItem:
    """Verify the investor at a tier (assignee only)."""
    application = await service.decide(
        reviewer.user_id,
        application_id,
        KycStatus.VERIFIED,
        reason=body.reason,
        tier=body.tier,
    )
    (item,) = await service.review_items([application])
    return item


@admin.post("/{application_id}/reject")
async def reject(
    application_id: uuid.UUID, body: ReviewDecision, reviewer: ReviewerPrincipal, service: Kyc
) -> KycReviewItem:
    """Reject the application for good (assignee only; the reason is shown to the investor)."""
    application = await service.decide(
        reviewer.user_id, application_id, KycStatus.REJECTED, reason=body.reason
    )
    (item,) = await service.review_items([application])
    return item


@admin.post("/{application_id}/request-info")
async def request_info(
    application_id: uuid.UUID, body: ReviewDecision, reviewer: ReviewerPrincipal, service: Kyc
) -> KycReviewItem:
    """Ask the investor to resubmit (assignee only; the reason is shown to the investor)."""
    application = await service.decide(
        reviewer.user_id, application_id, KycStatus.NEEDS_INFO, reason=body.reason
    )
    (item,) = await service.review_items([application])
    return item


@admin.post(
    "/{application_id}/revoke",
    responses={
        403: {"description": "Not compliance or an admin, or your own application"},
        409: {"description": "The application is not verified"},
    },
)
async def revoke(
    application_id: uuid.UUID, body: ReviewDecision, reviewer: ReviewerPrincipal, service: Kyc
) -> KycReviewItem:
    """Revoke a verified investor's KYC: they can no longer trade, their resting orders are
    cancelled and their wallets delisted and frozen; they may apply again for a new review."""
    application = await service.revoke(reviewer.user_id, application_id, reason=body.reason)
    (item,) = await service.review_items([application])
    return item


@admin.get(
    "/{application_id}/document",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}, "image/jpeg": {}, "image/png": {}}}},
)
async def review_document(
    application_id: uuid.UUID, reviewer: ReviewerPrincipal, service: Kyc
) -> Response:
    """The application's latest document, decrypted, for its assignee."""
    document, content = await service.document_for_review(reviewer.user_id, application_id)
    return Response(
        content,
        media_type=document.content_type,
        headers={"Content-Disposition": f'attachment; filename="kyc-{document.id}"'},
    )


@webhooks.post("/kyc")
async def kyc_webhook(request: Request, service: Kyc) -> WebhookReceipt:
    """A provider's verification result, Standard-Webhooks signed; each id is applied once."""
    return await service.receive_webhook(request.headers, await request.body())


routers = [kyc, admin, webhooks]

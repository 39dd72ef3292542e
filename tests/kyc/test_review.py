"""The compliance queue: filters, pages, assignment, and decisions only by the assignee."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from fastapi import FastAPI

from liquibond.kyc.service import KycChecks
from liquibond.platform.uow import UnitOfWork
from tests.helpers import LoggedIn, assert_problem, register_and_login
from tests.kyc.helpers import (
    PDF,
    PNG,
    REFERRED,
    Announcements,
    a_pan,
    form,
    make_reviewers,
    mine_once,
    queue_item,
    referred,
    submit,
    submitted,
)

APPROVAL = {"tier": "full", "reason": "Aadhaar date of birth is a typo; PAN card matches."}
REASON = {"reason": "Upload the back of your Aadhaar card as well."}


async def _act(
    client: httpx.AsyncClient, reviewer: LoggedIn, application_id: str, action: str
) -> httpx.Response:
    body = APPROVAL if action == "approve" else REASON
    return await client.post(
        f"/api/v1/admin/kyc/{application_id}/{action}", json=body, headers=reviewer.headers
    )


async def _queue_ids(client: httpx.AsyncClient, reviewer: LoggedIn, **params: str) -> list[str]:
    ids: list[str] = []
    cursor = None
    while True:
        page = await client.get(
            "/api/v1/admin/kyc",
            params={"limit": 2, **params, **({"cursor": cursor} if cursor else {})},
            headers=reviewer.headers,
        )
        assert page.status_code == 200, page.text
        ids += [item["id"] for item in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return ids


async def test_compliance_reviews_a_referred_application(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    announcements = Announcements(app)
    (reviewer,) = await make_reviewers(app, client)
    investor = await register_and_login(client)
    application = await submitted(client, investor, a_pan(REFERRED))
    others = [
        (await submitted(client, await register_and_login(client), a_pan(REFERRED)))["id"]
        for _ in range(2)
    ]
    application_id = application["id"]

    item = await referred(client, reviewer, application_id)
    assert item["applicant_email"] == investor.email  # the reviewer sees who applied
    assert item["applicant_name"]
    assert (item["status"], item["assignee_id"], item["user_id"]) == (
        "pending",
        None,
        investor.user_id,
    )
    assert item["provider_checks"]["date_of_birth_match"] is False
    assert item["pan_masked"] == f"XXXXX{REFERRED}X"

    everyone = [application_id, *others]
    assert await _queue_ids(client, reviewer) == everyone
    assert await _queue_ids(client, reviewer, status="pending", assignee="none") == everyone
    assert await _queue_ids(client, reviewer, status="verified") == []

    assigned = await client.post(
        f"/api/v1/admin/kyc/{application_id}/assign", headers=reviewer.headers
    )
    assert assigned.status_code == 200, assigned.text
    assert assigned.json()["assignee_id"] == reviewer.user_id
    assert await _queue_ids(client, reviewer, assignee="me") == [application_id]
    assert await _queue_ids(client, reviewer, assignee=reviewer.user_id) == [application_id]
    assert await _queue_ids(client, reviewer, assignee="none") == others

    document = await client.get(
        f"/api/v1/admin/kyc/{application_id}/document", headers=reviewer.headers
    )
    assert document.status_code == 200
    assert (document.content, document.headers["content-type"]) == (PDF, "application/pdf")

    approved = await _act(client, reviewer, application_id, "approve")
    assert approved.status_code == 200, approved.text
    decided = approved.json()
    assert (decided["status"], decided["tier"], decided["decided_by"]) == (
        "verified",
        "full",
        reviewer.user_id,
    )
    mine = (await client.get("/api/v1/kyc", headers=investor.headers)).json()
    assert (mine["status"], mine["reason"]) == ("verified", APPROVAL["reason"])
    async with UnitOfWork(app.state.database, write=False) as uow:
        await KycChecks(uow.session).require_verified(uuid.UUID(investor.user_id))

    audit = await client.get(
        "/api/v1/admin/audit",
        params={"target": f"kyc_application:{application_id}"},
        headers=reviewer.headers,
    )
    trail = [(e["action"], e["actor_id"]) for e in audit.json()["items"]]
    assert trail == [
        ("kyc.verified", reviewer.user_id),
        ("kyc.assigned", reviewer.user_id),
        ("kyc.referred", None),
        ("kyc.submitted", investor.user_id),
    ]
    assert audit.json()["items"][0]["payload"]["reason"] == APPROVAL["reason"]
    events = await announcements.received("kyc.verified.v1")
    assert [e.data["application_id"] for e in events if e.type == "kyc.verified.v1"] == [
        application_id
    ]


async def test_only_the_assignee_decides(client: httpx.AsyncClient, app: FastAPI) -> None:
    first, second = await make_reviewers(app, client, 2)
    investor = await register_and_login(client)
    application_id = (await submitted(client, investor, a_pan(REFERRED)))["id"]

    assert_problem(await _act(client, first, application_id, "approve"), 409, "kyc.not_assigned")
    assign = f"/api/v1/admin/kyc/{application_id}/assign"
    assert (await client.post(assign, headers=first.headers)).status_code == 200
    assert (await client.post(assign, headers=first.headers)).status_code == 200  # idempotent
    taken = assert_problem(
        await client.post(assign, headers=second.headers), 409, "kyc.already_assigned"
    )
    assert taken["assignee_id"] == first.user_id
    for action in ("approve", "reject", "request-info"):
        assert_problem(await _act(client, second, application_id, action), 403, "kyc.not_assignee")
    assert_problem(
        await client.get(f"/api/v1/admin/kyc/{application_id}/document", headers=second.headers),
        403,
        "kyc.not_assignee",
    )
    assert_problem(
        await _act(client, investor, application_id, "approve"), 403, "auth.forbidden_role"
    )
    assert_problem(
        await client.get("/api/v1/admin/kyc", headers=investor.headers), 403, "auth.forbidden_role"
    )
    own = await submitted(client, second, a_pan(REFERRED))
    assert_problem(
        await client.post(f"/api/v1/admin/kyc/{own['id']}/assign", headers=second.headers),
        403,
        "kyc.own_application",
    )
    assert_problem(
        await client.post(f"/api/v1/admin/kyc/{uuid.uuid4()}/assign", headers=first.headers),
        404,
        "kyc_application.not_found",
    )
    for body in ({"tier": "gold", "reason": "fine"}, {"tier": "full", "reason": ""}):
        bad = await client.post(
            f"/api/v1/admin/kyc/{application_id}/approve", json=body, headers=first.headers
        )
        assert_problem(bad, 422, "request.validation_failed")

    asked = await _act(client, first, application_id, "request-info")
    assert asked.status_code == 200 and asked.json()["status"] == "needs_info"
    assert_problem(
        await _act(client, first, application_id, "approve"), 409, "kyc.invalid_transition"
    )
    assert_problem(await client.post(assign, headers=second.headers), 409, "kyc.not_pending")


async def test_request_info_resubmission_then_rejection(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    announcements = Announcements(app)
    (reviewer,) = await make_reviewers(app, client)
    investor = await register_and_login(client)
    pan = a_pan(REFERRED)
    application_id = (await submitted(client, investor, pan))["id"]
    await referred(client, reviewer, application_id)
    await client.post(f"/api/v1/admin/kyc/{application_id}/assign", headers=reviewer.headers)

    assert (await _act(client, reviewer, application_id, "request-info")).status_code == 200
    asked = await mine_once(client, investor, "needs_info")
    assert asked["reason"] == REASON["reason"]
    again = await submit(client, investor, form(pan, document_kind="aadhaar"), PNG, "image/png")
    assert again.status_code == 200 and again.json()["attempt"] == 2
    item: dict[str, Any] | None = await queue_item(client, reviewer, application_id, assignee="me")
    assert item is not None and (item["status"], item["reason"]) == ("pending", None)

    rejected = await _act(client, reviewer, application_id, "reject")
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    mine = (await client.get("/api/v1/kyc", headers=investor.headers)).json()
    assert (mine["status"], mine["reason"]) == ("rejected", REASON["reason"])
    assert_problem(await submit(client, investor, form(pan)), 409, "kyc.invalid_transition")
    events = await announcements.received("kyc.rejected.v1")
    assert [(e.type, e.data["attempt"]) for e in events] == [
        ("kyc.submitted.v1", 1),
        ("kyc.needs_info.v1", 1),
        ("kyc.submitted.v1", 2),
        ("kyc.rejected.v1", 2),
    ]

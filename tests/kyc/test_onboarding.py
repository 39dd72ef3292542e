"""Investors submit KYC: validation, masking, the sandbox's asynchronous verdicts, resubmission."""

from __future__ import annotations

import uuid
from datetime import date

import httpx
import pytest
from fastapi import FastAPI

from liquibond.config import Settings
from liquibond.kyc.documents import MAX_DOCUMENT_BYTES
from liquibond.kyc.models import KycStatus, KycTier
from liquibond.kyc.service import KycChecks, KycStanding
from liquibond.platform.errors import Forbidden
from liquibond.platform.uow import UnitOfWork
from tests.helpers import assert_problem, register_and_login
from tests.kyc.helpers import (
    INOPERATIVE,
    NEEDS_INFO_ONCE,
    PDF,
    PNG,
    REFERRED,
    REJECTED,
    VERIFIED_BASIC,
    VERIFIED_FULL,
    Announcements,
    a_pan,
    form,
    mine_once,
    submit,
    submitted,
)


async def test_submission_is_pending_until_the_sandbox_verifies_it(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    announcements = Announcements(app)
    investor = await register_and_login(client)
    response = await submit(client, investor, form(a_pan(VERIFIED_FULL)))
    assert response.status_code == 201, response.text
    application = response.json()
    assert (application["status"], application["tier"], application["attempt"]) == (
        "pending",
        None,
        1,
    )
    assert application["pan_masked"] == f"XXXXX{VERIFIED_FULL}X"
    assert (application["birth_year"], application["pincode_masked"]) == (1988, "400XXX")
    assert [(d["kind"], d["content_type"], d["size_bytes"]) for d in application["documents"]] == [
        ("pan_card", "application/pdf", len(PDF))
    ]
    assert [(c["purpose"], c["terms_version"]) for c in application["consents"]] == [
        ("kyc.identity_verification", form("")["terms_version"])
    ]

    verified = await mine_once(client, investor, "verified")
    assert verified["tier"] == "full" and verified["decided_at"] is not None
    events = await announcements.received("kyc.verified.v1")
    assert [e.type for e in events] == ["kyc.submitted.v1", "kyc.verified.v1"]
    assert events[1].data == {
        "application_id": application["id"],
        "user_id": investor.user_id,
        "status": "verified",
        "tier": "full",
        "attempt": 1,
    }
    assert_problem(await submit(client, investor, form(a_pan())), 409, "kyc.invalid_transition")


async def test_sandbox_verdicts_follow_the_pan(client: httpx.AsyncClient) -> None:
    expected = {
        REJECTED: ("rejected", None, "PAN not found."),
        INOPERATIVE: ("rejected", None, "PAN is inoperative."),
        VERIFIED_BASIC: ("verified", "basic", None),
    }
    investors = {digits: await register_and_login(client) for digits in expected}
    for digits, investor in investors.items():
        await submitted(client, investor, a_pan(digits))
    for digits, (status, tier, reason) in expected.items():
        final = await mine_once(client, investors[digits], status)
        assert (final["tier"], final["reason"]) == (tier, reason)


async def test_needs_info_then_resubmission_is_verified(client: httpx.AsyncClient) -> None:
    investor = await register_and_login(client)
    pan = a_pan(NEEDS_INFO_ONCE)
    first = await submitted(client, investor, pan)
    asked = await mine_once(client, investor, "needs_info")
    assert asked["reason"] == "The document could not be read; upload a clearer copy."

    again = await submit(
        client, investor, form(pan, pincode="560001", document_kind="aadhaar"), PNG, "image/png"
    )
    assert again.status_code == 200, again.text
    resubmitted = again.json()
    assert (resubmitted["id"], resubmitted["status"], resubmitted["attempt"]) == (
        first["id"],
        "pending",
        2,
    )
    assert resubmitted["reason"] is None and resubmitted["pincode_masked"] == "560XXX"
    assert [(d["attempt"], d["content_type"]) for d in resubmitted["documents"]] == [
        (1, "application/pdf"),
        (2, "image/png"),
    ]
    assert len(resubmitted["consents"]) == 2
    assert (await mine_once(client, investor, "verified"))["tier"] == "full"


async def test_submissions_are_validated(client: httpx.AsyncClient, settings: Settings) -> None:
    investor = await register_and_login(client)
    seventeen = date.today().replace(year=date.today().year - 17).isoformat()
    cases = [
        (form("ABCDE12345"), PDF, "application/pdf", 422, "request.validation_failed"),
        (form("ABCXE1234F"), PDF, "application/pdf", 422, "request.validation_failed"),
        (form(a_pan(holder="C")), PDF, "application/pdf", 422, "kyc.pan_not_individual"),
        (form(a_pan(), date_of_birth=seventeen), PDF, "application/pdf", 422, "kyc.underage"),
        (form(a_pan(), consent="false"), PDF, "application/pdf", 422, "kyc.consent_required"),
        (form(a_pan(), terms_version="2020-01"), PDF, "application/pdf", 422, "kyc.terms_outdated"),
        (form(a_pan(), pincode="040050"), PDF, "application/pdf", 422, "request.validation_failed"),
        (form(a_pan(), role="admin"), PDF, "application/pdf", 422, "request.validation_failed"),
        (
            form(a_pan()),
            b"MZ\x90\x00 a program",
            "application/pdf",
            415,
            "kyc.document_type_unsupported",
        ),
        (form(a_pan()), b"", "application/pdf", 415, "kyc.document_type_unsupported"),
        (form(a_pan()), PDF, "image/png", 415, "kyc.document_type_mismatch"),
        (
            form(a_pan()),
            PDF + bytes(MAX_DOCUMENT_BYTES),
            "application/pdf",
            413,
            "kyc.document_too_large",
        ),
    ]
    for fields, document, content_type, status, code in cases:
        assert_problem(await submit(client, investor, fields, document, content_type), status, code)
    no_document = await client.post("/api/v1/kyc", data=form(a_pan()), headers=investor.headers)
    assert_problem(no_document, 422, "request.validation_failed")

    assert_problem(
        await client.get("/api/v1/kyc", headers=investor.headers), 404, "kyc_application.not_found"
    )
    documents = settings.data_dir / "kyc" / "documents"
    assert not documents.exists() or not any(documents.iterdir())

    lower_case = await submit(
        client, investor, form(a_pan(REFERRED).lower()), PDF, "application/octet-stream"
    )
    assert lower_case.status_code == 201, lower_case.text
    assert lower_case.json()["pan_masked"] == f"XXXXX{REFERRED}X"


async def test_one_application_per_account_and_per_pan(client: httpx.AsyncClient) -> None:
    first, second = await register_and_login(client), await register_and_login(client)
    pan = a_pan(REFERRED)
    await submitted(client, first, pan)
    assert_problem(await submit(client, first, form(a_pan())), 409, "kyc.invalid_transition")
    assert_problem(await submit(client, second, form(pan.lower())), 409, "kyc.pan_in_use")


async def test_another_users_kyc_is_404(client: httpx.AsyncClient) -> None:
    owner, other = await register_and_login(client), await register_and_login(client)
    assert_problem(
        await client.get("/api/v1/kyc", headers=owner.headers), 404, "kyc_application.not_found"
    )
    application = await submitted(client, owner, a_pan(REFERRED))
    own = await client.get(f"/api/v1/kyc/{application['id']}", headers=owner.headers)
    assert own.status_code == 200 and own.json()["id"] == application["id"]
    for user, application_id in ((other, application["id"]), (owner, str(uuid.uuid4()))):
        assert_problem(
            await client.get(f"/api/v1/kyc/{application_id}", headers=user.headers),
            404,
            "kyc_application.not_found",
        )
    assert_problem(
        await client.get(f"/api/v1/kyc/{application['id']}"), 401, "auth.unauthenticated"
    )


async def test_require_verified_refuses_until_verified(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    async def require(user_id: str, tier: KycTier = KycTier.BASIC) -> None:
        async with UnitOfWork(app.state.database, write=False) as uow:
            await KycChecks(uow.session).require_verified(uuid.UUID(user_id), tier=tier)

    async def standing(user_id: str) -> KycStanding:
        async with UnitOfWork(app.state.database, write=False) as uow:
            return await KycChecks(uow.session).status_of(uuid.UUID(user_id))

    newcomer, waiting, basic = [await register_and_login(client) for _ in range(3)]
    await submitted(client, waiting, a_pan(REFERRED))
    await submitted(client, basic, a_pan(VERIFIED_BASIC))
    await mine_once(client, basic, "verified")

    for user, status in ((newcomer, None), (waiting, "pending")):
        with pytest.raises(Forbidden) as refused:
            await require(user.user_id)
        assert (refused.value.code, refused.value.extra["kyc_status"]) == (
            "kyc.not_verified",
            status,
        )
    await require(basic.user_id)
    with pytest.raises(Forbidden) as refused:
        await require(basic.user_id, KycTier.FULL)
    assert refused.value.code == "kyc.tier_insufficient"
    assert await standing(newcomer.user_id) == KycStanding(None, None)
    assert await standing(basic.user_id) == KycStanding(KycStatus.VERIFIED, KycTier.BASIC)


async def test_multipart_retry_with_the_same_key_replays(client: httpx.AsyncClient) -> None:
    """Found by schemathesis: an Idempotency-Key on a multipart POST once crashed (500)."""
    user = await register_and_login(client)
    fields = form(a_pan(VERIFIED_FULL))
    headers = {**user.headers, "Idempotency-Key": "kyc-once"}
    first = await client.post(
        "/api/v1/kyc",
        data=fields,
        files={"document": ("s", PDF, "application/pdf")},
        headers=headers,
    )
    # httpx picks a new multipart boundary per request: the bytes differ, the request does not.
    again = await client.post(
        "/api/v1/kyc",
        data=fields,
        files={"document": ("s", PDF, "application/pdf")},
        headers=headers,
    )
    assert first.status_code == 201, first.text
    assert again.status_code == 201 and again.json()["id"] == first.json()["id"]
    assert again.headers["idempotent-replayed"] == "true"
    other = await client.post(
        "/api/v1/kyc",
        data={**fields, "city": "Pune"},
        files={"document": ("s", PDF, "application/pdf")},
        headers=headers,
    )
    assert_problem(other, 422, "idempotency.key_reused")
    empty = await client.post(
        "/api/v1/kyc",
        data=fields,
        files={"document": ("s", b"", "application/pdf")},
        headers={**user.headers, "Idempotency-Key": "kyc-empty"},
    )
    assert 400 <= empty.status_code < 500

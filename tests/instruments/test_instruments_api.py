"""Issuers draft and submit, admins approve (mint the issue), suspend and resume."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI

from tests.helpers import LoggedIn, assert_problem, make_admin, register_and_login

GSEC = {
    "isin": "IN0020220102",
    "name": "7.26% GS 2032",
    "face_value": 100_00,
    "coupon_rate": "7.26",
    "coupon_frequency": 2,
    "day_count": "30/360",
    "issue_date": "2022-01-06",
    "maturity_date": "2032-01-06",
    "issue_size_units": 1_000_000,
    "min_lot": 100,
    "lot_increment": 100,
    "tick_size": "0.0025",
    "settlement_cycle": "T+1",
    "credit_rating": "SOV",
}


async def issuer(client: httpx.AsyncClient, admin: LoggedIn) -> LoggedIn:
    """A user an admin has made an issuer."""
    user = await register_and_login(client, "issuer")
    granted = await client.post(
        f"/api/v1/admin/users/{user.user_id}/roles",
        json={"roles": ["issuer"]},
        headers=admin.headers,
    )
    assert granted.status_code == 200
    return user


async def draft(client: httpx.AsyncClient, who: LoggedIn, **overrides: Any) -> httpx.Response:
    return await client.post("/api/v1/instruments", json={**GSEC, **overrides}, headers=who.headers)


async def test_draft_submit_approve_lists_and_mints(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    admin = await make_admin(app, client)
    bank = await issuer(client, admin)
    investor = await register_and_login(client)

    created = await draft(client, bank)
    assert created.status_code == 201, created.text
    bond = created.json()
    assert bond["status"] == "draft" and bond["coupon_rate"] == "7.26"
    assert bond["settlement_cycle"] == "T+1"

    # Drafts are private: investors and the public see nothing.
    assert_problem(
        await client.get(f"/api/v1/instruments/{bond['id']}", headers=investor.headers),
        404,
        "instrument.not_found",
    )
    assert (await client.get("/api/v1/instruments")).json()["items"] == []

    patched = await client.patch(
        f"/api/v1/instruments/{bond['id']}", json={"min_lot": 200}, headers=bank.headers
    )
    assert patched.json()["min_lot"] == 200

    # Only admins approve; the issuer submits first.
    assert_problem(
        await client.post(f"/api/v1/instruments/{bond['id']}/approve", headers=bank.headers),
        403,
        "auth.forbidden_role",
    )
    assert_problem(
        await client.post(f"/api/v1/instruments/{bond['id']}/approve", headers=admin.headers),
        409,
        "instrument.invalid_transition",
    )
    submitted = await client.post(f"/api/v1/instruments/{bond['id']}/submit", headers=bank.headers)
    assert submitted.json()["status"] == "pending_approval"
    assert_problem(
        await client.patch(
            f"/api/v1/instruments/{bond['id']}", json={"min_lot": 300}, headers=bank.headers
        ),
        409,
        "instrument.not_editable",
    )

    listed = await client.post(f"/api/v1/instruments/{bond['id']}/approve", headers=admin.headers)
    assert listed.status_code == 200 and listed.json()["status"] == "listed"
    assert listed.json()["listed_at"] is not None

    # Listing minted the whole issue to the issuer, as a journal entry.
    balances = (await client.get("/api/v1/accounts", headers=bank.headers)).json()
    assert {
        "asset": "IN0020220102",
        "bucket": "available",
        "balance": 1_000_000,
        "scale": 0,
    } in balances
    entries = (await client.get("/api/v1/accounts/entries", headers=bank.headers)).json()["items"]
    assert entries[0]["kind"] == "issuance"

    public = (await client.get("/api/v1/instruments")).json()["items"]
    assert [b["isin"] for b in public] == ["IN0020220102"]
    assert (await client.get(f"/api/v1/instruments/{bond['id']}")).status_code == 200

    # Economic terms are fixed once listed; market parameters are the admin's.
    assert_problem(
        await client.patch(
            f"/api/v1/instruments/{bond['id']}", json={"coupon_rate": "8"}, headers=admin.headers
        ),
        409,
        "instrument.not_editable",
    )
    assert (
        await client.patch(
            f"/api/v1/instruments/{bond['id']}",
            json={"credit_rating": "AAA"},
            headers=admin.headers,
        )
    ).json()["credit_rating"] == "AAA"

    assert_problem(
        await client.post(f"/api/v1/instruments/{bond['id']}/suspend", headers=admin.headers),
        422,
        "instrument.reason_required",
    )
    suspended = await client.post(
        f"/api/v1/instruments/{bond['id']}/suspend",
        json={"reason": "Pending disclosure"},
        headers=admin.headers,
    )
    assert suspended.json()["status"] == "suspended"
    assert suspended.json()["status_reason"] == "Pending disclosure"
    resumed = await client.post(f"/api/v1/instruments/{bond['id']}/resume", headers=admin.headers)
    assert resumed.json()["status"] == "listed"

    audit = (
        await client.get(
            "/api/v1/admin/audit",
            params={"target": f"instrument:{bond['id']}"},
            headers=admin.headers,
        )
    ).json()["items"]
    assert [(e["action"], e["actor_id"]) for e in reversed(audit)] == [
        ("instrument.drafted", bank.user_id),
        ("instrument.updated", bank.user_id),
        ("instrument.submit", bank.user_id),
        ("instrument.approve", admin.user_id),
        ("instrument.updated", admin.user_id),
        ("instrument.suspend", admin.user_id),
        ("instrument.resume", admin.user_id),
    ]


async def test_bad_terms_are_422_problems(client: httpx.AsyncClient, app: FastAPI) -> None:
    admin = await make_admin(app, client)
    bank = await issuer(client, admin)
    cases = {
        "isin": {"isin": "IN0020220103"},
        "maturity": {"maturity_date": "2021-01-01"},
        "zero coupon": {"coupon_rate": "0"},
        "convention": {"day_count": "ACT/999"},
        "precision": {"coupon_rate": "7.1234567"},
        "frequency": {"coupon_frequency": 3},
        "negative size": {"issue_size_units": -5},
    }
    for name, change in cases.items():
        response = await draft(client, bank, **change)
        body = assert_problem(response, 422, "request.validation_failed")
        assert body["errors"], name
    isin_error = (await draft(client, bank, isin="INE002A08535")).json()["errors"][0]
    assert isin_error["field"] == "body.isin" and isin_error["type"] == "isin_invalid"
    assert_problem(await draft(client, bank, currency="BTC"), 422, "instrument.not_a_currency")
    assert_problem(await draft(client, bank, currency="XYZ"), 404, "asset.not_found")


async def test_investors_cannot_draft_and_isins_are_unique(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    admin = await make_admin(app, client)
    bank = await issuer(client, admin)
    investor = await register_and_login(client)
    assert_problem(await draft(client, investor), 403, "auth.forbidden_role")
    assert (await draft(client, bank)).status_code == 201
    assert_problem(await draft(client, bank), 409, "instrument.isin_taken")


async def test_another_issuers_draft_is_404(client: httpx.AsyncClient, app: FastAPI) -> None:
    admin = await make_admin(app, client)
    first, second = await issuer(client, admin), await issuer(client, admin)
    bond = (await draft(client, first)).json()
    for request in (
        client.get(f"/api/v1/instruments/{bond['id']}", headers=second.headers),
        client.patch(
            f"/api/v1/instruments/{bond['id']}", json={"min_lot": 5}, headers=second.headers
        ),
        client.post(f"/api/v1/instruments/{bond['id']}/submit", headers=second.headers),
    ):
        assert_problem(await request, 404, "instrument.not_found")


async def test_null_for_a_required_term_is_422_not_500(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    """Found by schemathesis: PATCH {"tick_size": null} once reached the database."""
    admin = await make_admin(app, client)
    bank = await issuer(client, admin)
    bond = (await draft(client, bank)).json()
    response = await client.patch(
        f"/api/v1/instruments/{bond['id']}", json={"tick_size": None}, headers=bank.headers
    )
    body = assert_problem(response, 422, "request.validation_failed")
    assert body["errors"][0]["type"] == "null_not_allowed"
    cleared = await client.patch(
        f"/api/v1/instruments/{bond['id']}", json={"rating_agency": None}, headers=bank.headers
    )
    assert cleared.status_code == 200 and cleared.json()["rating_agency"] is None

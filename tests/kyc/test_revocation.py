"""Compliance revokes a verified investor's KYC over HTTP: who may, which applications can be,
what it announces and audits; the investor's resting orders are cancelled and they cannot
trade; they may apply again, and only compliance (never the provider) verifies them again."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from fastapi import FastAPI

from tests.helpers import LoggedIn, assert_problem, register_and_login
from tests.kyc.helpers import (
    REFERRED,
    VERIFIED_FULL,
    Announcements,
    a_pan,
    eventually,
    form,
    make_reviewers,
    mine_once,
    submit,
    submitted,
)
from tests.trading.conftest import Market, balances, fund_cash, list_bond, order
from tests.trading.conftest import verified_investor as verified

REASON = {"reason": "The PAN is on a sanctions list since this morning."}


async def _revoke(
    client: httpx.AsyncClient,
    who: LoggedIn,
    application_id: str,
    body: dict[str, Any] | None = None,
) -> httpx.Response:
    return await client.post(
        f"/api/v1/admin/kyc/{application_id}/revoke", json=body or REASON, headers=who.headers
    )


async def _application(client: httpx.AsyncClient, user: LoggedIn) -> dict[str, Any]:
    body: dict[str, Any] = (await client.get("/api/v1/kyc", headers=user.headers)).json()
    return body


async def _resting_buy(client: httpx.AsyncClient, market: Market, user: LoggedIn) -> str:
    """A buy order far below the market, which rests (or waits for the market to open)."""
    placed = await order(client, user, market, "buy", "90.00", 100)
    assert placed.status_code == 201, placed.text
    assert placed.json()["status"] in ("new", "queued"), placed.text
    return str(placed.json()["id"])


async def test_compliance_revokes_and_the_investor_can_no_longer_trade(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market = await list_bond(client, app)
    investor = await verified(client)
    await fund_cash(app, investor, 1_00_000_00)
    order_id = await _resting_buy(client, market, investor)
    assert (await balances(client, investor))[("INR", "locked")] > 0
    [reviewer] = await make_reviewers(app, client)
    application = await _application(client, investor)
    announcements = Announcements(app)

    bystander = await verified(client)
    assert_problem(await _revoke(client, bystander, application["id"]), 403, "auth.forbidden_role")
    assert_problem(
        await _revoke(client, reviewer, application["id"], {"reason": "x"}),
        422,
        "request.validation_failed",
    )

    revoked = await _revoke(client, reviewer, application["id"])
    assert revoked.status_code == 200, revoked.text
    item = revoked.json()
    assert (item["status"], item["tier"], item["reason"]) == ("revoked", None, REASON["reason"])
    assert (item["revoked_by"], item["revocation_reason"]) == (reviewer.user_id, REASON["reason"])
    assert item["revoked_at"] == item["decided_at"] and item["assignee_id"] is None
    again = await _revoke(client, reviewer, application["id"])
    assert_problem(again, 409, "kyc.invalid_transition")

    events = await announcements.received("kyc.revoked.v1")
    [event] = [e for e in events if e.type == "kyc.revoked.v1"]
    assert event.data == {
        "application_id": application["id"],
        "user_id": investor.user_id,
        "status": "revoked",
        "tier": None,
        "attempt": 1,
    }
    mine = await _application(client, investor)
    assert (mine["status"], mine["reason"]) == ("revoked", REASON["reason"])
    assert "revocation_reason" not in mine  # the investor's view carries only what it did

    async def cancelled() -> dict[str, Any] | None:
        answer = await client.get(f"/api/v1/orders/{order_id}", headers=investor.headers)
        body: dict[str, Any] = answer.json()
        return body if body["status"] == "cancelled" else None

    await eventually(cancelled)
    assert (await balances(client, investor))[("INR", "locked")] == 0
    refused = await order(client, investor, market, "buy", "90.00", 100)
    assert_problem(refused, 403, "kyc.not_verified")

    audit = await client.get(
        "/api/v1/admin/audit",
        params={"action": "kyc.revoked", "target": f"kyc_application:{application['id']}"},
        headers=reviewer.headers,
    )
    [entry] = audit.json()["items"]
    assert entry["actor_id"] == reviewer.user_id
    assert (entry["payload"]["from"], entry["payload"]["reason"]) == ("verified", REASON["reason"])


async def test_only_a_verified_application_other_than_your_own_is_revoked(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    [reviewer] = await make_reviewers(app, client)
    waiting = await register_and_login(client, "referred")
    pending = await submitted(client, waiting, a_pan(REFERRED))
    assert_problem(await _revoke(client, reviewer, pending["id"]), 409, "kyc.invalid_transition")
    missing = "00000000-0000-7000-8000-000000000000"
    assert_problem(await _revoke(client, reviewer, missing), 404, "kyc_application.not_found")

    await submitted(client, reviewer, a_pan(VERIFIED_FULL))  # compliance staff invest too
    own = await mine_once(client, reviewer, "verified")
    assert_problem(await _revoke(client, reviewer, own["id"]), 403, "kyc.own_application")


async def test_a_revoked_investor_applies_again_and_only_compliance_verifies_them(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market = await list_bond(client, app)
    investor = await verified(client)
    [reviewer] = await make_reviewers(app, client)
    application = await _application(client, investor)
    assert (await _revoke(client, reviewer, application["id"])).status_code == 200

    # A PAN the sandbox would verify at once: after a revocation it is not asked.
    again = await submit(client, investor, form(a_pan(VERIFIED_FULL)))
    assert again.status_code == 200, again.text
    assert (again.json()["status"], again.json()["attempt"]) == ("pending", 2)
    await asyncio.sleep(0.5)  # the sandbox answers at once when it is asked
    queued = await client.get(
        "/api/v1/admin/kyc", params={"status": "pending"}, headers=reviewer.headers
    )
    [item] = [i for i in queued.json()["items"] if i["id"] == application["id"]]
    assert (item["provider_outcome"], item["assignee_id"]) == (None, None)
    assert item["revocation_reason"] == REASON["reason"] and item["revoked_at"] is not None
    assert_problem(
        await order(client, investor, market, "buy", "90.00", 100), 403, "kyc.not_verified"
    )

    path = f"/api/v1/admin/kyc/{application['id']}"
    assert (await client.post(f"{path}/assign", headers=reviewer.headers)).status_code == 200
    approved = await client.post(
        f"{path}/approve",
        json={"tier": "full", "reason": "Cleared: a namesake, not the listed person."},
        headers=reviewer.headers,
    )
    assert approved.json()["status"] == "verified", approved.text
    assert approved.json()["revoked_at"] == item["revoked_at"]  # the history stays
    await fund_cash(app, investor, 1_00_000_00)
    await _resting_buy(client, market, investor)

"""Deposits, withdrawals and bank accounts through the sandbox rail, end to end over HTTP."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy import text

from liquibond.ledger.service import LedgerService
from liquibond.payments.runtime import reconcile_once
from liquibond.platform.uow import UnitOfWork
from tests.helpers import LoggedIn, assert_problem, make_admin, register_and_login
from tests.payments.conftest import balances, settle, verified_investor

ACCOUNT = {"holder_name": "Asha Verma", "account_number": "50100123456789", "ifsc": "HDFC0001234"}


async def deposit(
    client: httpx.AsyncClient, user: LoggedIn, amount: int, **extra: str
) -> httpx.Response:
    body = {"amount": amount, "method": "upi", "payer_vpa": "asha@okhdfc", **extra}
    return await client.post("/api/v1/deposits", json=body, headers=user.headers)


async def ledger_balances_everywhere(app: FastAPI) -> None:
    async with UnitOfWork(app.state.database, write=False) as uow:
        assert await LedgerService(uow.session).verify() == []


async def test_kyc_is_required_to_move_money(client: httpx.AsyncClient) -> None:
    user = await register_and_login(client)
    assert_problem(await deposit(client, user, 10_000), 403, "kyc.not_verified")
    bank = (await client.post("/api/v1/bank-accounts", json=ACCOUNT, headers=user.headers)).json()
    response = await client.post(
        "/api/v1/withdrawals",
        json={"amount": 100, "bank_account_id": bank["id"]},
        headers=user.headers,
    )
    assert_problem(response, 403, "kyc.not_verified")


async def test_upi_deposit_is_credited_when_the_rail_confirms(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    user = await verified_investor(client)
    created = await deposit(client, user, 25_000_00)
    assert created.status_code == 201, created.text
    payment = created.json()
    assert payment["status"] == "pending"
    assert payment["instructions"]["type"] == "upi_collect"
    assert await balances(client, user) == {}

    await settle(app)
    after = (await client.get(f"/api/v1/payments/{payment['id']}", headers=user.headers)).json()
    assert after["status"] == "confirmed"
    assert await balances(client, user) == {("INR", "available"): 25_000_00}
    await ledger_balances_everywhere(app)


async def test_declined_collect_credits_nothing(client: httpx.AsyncClient, app: FastAPI) -> None:
    user = await verified_investor(client)
    payment = (await deposit(client, user, 5_000, payer_vpa="fail.payer@okaxis")).json()
    await settle(app)
    assert (await client.get(f"/api/v1/payments/{payment['id']}", headers=user.headers)).json()[
        "status"
    ] == "failed"
    assert await balances(client, user) == {}


async def test_deposit_limits_and_shapes(client: httpx.AsyncClient) -> None:
    user = await verified_investor(client)
    assert_problem(await deposit(client, user, 1_00_000_01), 422, "payment.above_upi_limit")
    rtgs = await client.post(
        "/api/v1/deposits", json={"amount": 1_000_00, "method": "rtgs"}, headers=user.headers
    )
    assert_problem(rtgs, 422, "payment.below_rtgs_minimum")
    no_vpa = await client.post(
        "/api/v1/deposits", json={"amount": 100, "method": "upi"}, headers=user.headers
    )
    assert (
        assert_problem(no_vpa, 422, "request.validation_failed")["errors"][0]["type"]
        == "vpa_required"
    )
    for bad in ({"amount": 12.5}, {"amount": -1}, {"amount": "100"}):
        body = {"method": "upi", "payer_vpa": "a@upi", **bad}
        assert_problem(
            await client.post("/api/v1/deposits", json=body, headers=user.headers),
            422,
            "request.validation_failed",
        )


async def test_rtgs_deposit(client: httpx.AsyncClient, app: FastAPI) -> None:
    user = await verified_investor(client)
    created = await client.post(
        "/api/v1/deposits", json={"amount": 5_00_000_00, "method": "rtgs"}, headers=user.headers
    )
    assert created.json()["instructions"]["type"] == "rtgs_virtual_account"
    await settle(app)
    assert await balances(client, user) == {("INR", "available"): 5_00_000_00}


async def test_bank_accounts_are_penny_dropped_and_masked(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    user = await register_and_login(client)
    good = await client.post("/api/v1/bank-accounts", json=ACCOUNT, headers=user.headers)
    assert good.status_code == 201 and good.json()["status"] == "verified"
    assert ACCOUNT["account_number"] not in good.text and good.json()["account_last4"] == "6789"
    missing = await client.post(
        "/api/v1/bank-accounts",
        json={**ACCOUNT, "account_number": "123459999"},
        headers=user.headers,
    )
    assert missing.json()["status"] == "failed"
    mismatch = await client.post(
        "/api/v1/bank-accounts",
        json={**ACCOUNT, "holder_name": "Name Mismatch"},
        headers=user.headers,
    )
    assert mismatch.json()["status"] == "failed"
    assert "does not match" in mismatch.json()["failure_reason"]
    async with UnitOfWork(app.state.database, write=False) as uow:
        raw = (
            (await uow.session.execute(text("SELECT account_number FROM bank_accounts")))
            .scalars()
            .all()
        )
    assert all(ACCOUNT["account_number"].encode() not in bytes(value) for value in raw)
    listed = (await client.get("/api/v1/bank-accounts", headers=user.headers)).json()
    assert [a["status"] for a in listed] == ["verified", "failed", "failed"]


async def test_withdrawal_holds_then_pays_out(client: httpx.AsyncClient, app: FastAPI) -> None:
    user = await verified_investor(client)
    await deposit(client, user, 50_000_00)
    await settle(app)
    bank = (await client.post("/api/v1/bank-accounts", json=ACCOUNT, headers=user.headers)).json()

    too_much = await client.post(
        "/api/v1/withdrawals",
        json={"amount": 50_000_01, "bank_account_id": bank["id"]},
        headers=user.headers,
    )
    assert_problem(too_much, 422, "ledger.insufficient_funds")

    created = await client.post(
        "/api/v1/withdrawals",
        json={"amount": 20_000_00, "bank_account_id": bank["id"]},
        headers=user.headers,
    )
    assert created.status_code == 201 and created.json()["status"] == "pending"
    held = await balances(client, user)
    assert (
        held[("INR", "available")] == 30_000_00 and held[("INR", "pending_withdrawal")] == 20_000_00
    )
    await settle(app)
    assert (
        await client.get(f"/api/v1/payments/{created.json()['id']}", headers=user.headers)
    ).json()["status"] == "settled"
    paid = await balances(client, user)
    assert paid[("INR", "available")] == 30_000_00 and paid[("INR", "pending_withdrawal")] == 0
    await ledger_balances_everywhere(app)


async def test_a_bounced_withdrawal_returns_the_money(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    user = await verified_investor(client)
    await deposit(client, user, 10_000_00)
    await settle(app)
    bouncing = {**ACCOUNT, "account_number": "501001230000"}
    bank = (await client.post("/api/v1/bank-accounts", json=bouncing, headers=user.headers)).json()
    created = (
        await client.post(
            "/api/v1/withdrawals",
            json={"amount": 4_000_00, "bank_account_id": bank["id"]},
            headers=user.headers,
        )
    ).json()
    await settle(app)
    assert (await client.get(f"/api/v1/payments/{created['id']}", headers=user.headers)).json()[
        "status"
    ] == "returned"
    assert (await balances(client, user))[("INR", "available")] == 10_000_00
    await ledger_balances_everywhere(app)


async def test_unverified_bank_account_and_other_users_things(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    alice, bob = await verified_investor(client), await verified_investor(client)
    await deposit(client, alice, 1_000_00)
    await settle(app)
    failed = (
        await client.post(
            "/api/v1/bank-accounts",
            json={**ACCOUNT, "account_number": "111119999"},
            headers=alice.headers,
        )
    ).json()
    assert_problem(
        await client.post(
            "/api/v1/withdrawals",
            json={"amount": 100, "bank_account_id": failed["id"]},
            headers=alice.headers,
        ),
        409,
        "payment.bank_account_unverified",
    )
    bobs_bank = (
        await client.post("/api/v1/bank-accounts", json=ACCOUNT, headers=bob.headers)
    ).json()
    assert_problem(
        await client.post(
            "/api/v1/withdrawals",
            json={"amount": 100, "bank_account_id": bobs_bank["id"]},
            headers=alice.headers,
        ),
        404,
        "bank_account.not_found",
    )
    alices = (await client.get("/api/v1/payments", headers=alice.headers)).json()["items"]
    assert_problem(
        await client.get(f"/api/v1/payments/{alices[0]['id']}", headers=bob.headers),
        404,
        "payment.not_found",
    )
    assert (await client.get("/api/v1/payments", headers=bob.headers)).json()["items"] == []


async def test_reconciliation_finds_breaks(client: httpx.AsyncClient, app: FastAPI) -> None:
    admin = await make_admin(app, client)
    user = await verified_investor(client)
    await deposit(client, user, 7_000_00)
    await settle(app)
    clean = (
        await client.get("/api/v1/admin/payments/reconciliation", headers=admin.headers)
    ).json()
    assert clean == {"balanced": True, "breaks": []}
    async with UnitOfWork(app.state.database) as uow:  # the bank moved money we never saw
        await uow.session.execute(
            text(
                "INSERT INTO sandbox_rail_transactions "
                "(rail_reference, kind, amount, status, occurred_at) "
                "VALUES ('COLUNKNOWN', 'deposit', 999, 'completed', CURRENT_TIMESTAMP)"
            )
        )
        await uow.commit()
    report = (
        await client.get("/api/v1/admin/payments/reconciliation", headers=admin.headers)
    ).json()
    assert report == {
        "balanced": False,
        "breaks": [{"rail_reference": "COLUNKNOWN", "problem": "moved by the rail, unknown to us"}],
    }
    assert await reconcile_once(app) == 1  # the periodic job sees it too
    assert_problem(
        await client.get("/api/v1/admin/payments/reconciliation", headers=user.headers),
        403,
        "auth.forbidden_role",
    )


async def test_idempotent_deposit(client: httpx.AsyncClient, app: FastAPI) -> None:
    user = await verified_investor(client)
    headers = {**user.headers, "Idempotency-Key": "dep-1"}
    body = {"amount": 1_000_00, "method": "upi", "payer_vpa": "asha@okhdfc"}
    first = await client.post("/api/v1/deposits", json=body, headers=headers)
    second = await client.post("/api/v1/deposits", json=body, headers=headers)
    assert first.json()["id"] == second.json()["id"]
    await settle(app)
    assert await balances(client, user) == {("INR", "available"): 1_000_00}


async def test_payments_page_newest_first(client: httpx.AsyncClient) -> None:
    user = await verified_investor(client)
    made = [(await deposit(client, user, 100 + n)).json()["id"] for n in range(3)]
    first = (await client.get("/api/v1/payments", params={"limit": 2}, headers=user.headers)).json()
    rest = (
        await client.get(
            "/api/v1/payments",
            params={"limit": 2, "cursor": first["next_cursor"]},
            headers=user.headers,
        )
    ).json()
    assert [p["id"] for p in first["items"] + rest["items"]] == made[::-1]
    assert rest["next_cursor"] is None
    assert_problem(
        await client.get("/api/v1/payments", params={"cursor": "bm9wZQ=="}, headers=user.headers),
        400,
        "pagination.invalid_cursor",
    )

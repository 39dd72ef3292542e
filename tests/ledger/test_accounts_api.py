"""My balances and my journal over HTTP: only ever mine."""

from __future__ import annotations

import uuid

import httpx
from fastapi import FastAPI

from liquibond.ledger.entries import RAIL_IN_TRANSIT, AccountKey, Owner
from liquibond.ledger.models import Bucket
from liquibond.ledger.service import LedgerService
from liquibond.platform.uow import UnitOfWork
from tests.helpers import assert_problem, register_and_login


async def _credit(app: FastAPI, user_id: str, amount: int) -> None:
    async with UnitOfWork(app.state.database) as uow:
        ledger = LedgerService(uow.session)
        owner = Owner.user(uuid.UUID(user_id))
        await ledger.move(
            "deposit",
            "Deposit",
            source=AccountKey(RAIL_IN_TRANSIT, "INR", Bucket.SYSTEM),
            destination=AccountKey(owner, "INR", Bucket.AVAILABLE),
            amount=amount,
        )
        await ledger.reserve(uuid.UUID(user_id), "INR", amount // 4)
        await uow.commit()


async def test_balances_and_entries_are_mine_only(client: httpx.AsyncClient, app: FastAPI) -> None:
    alice, bob = await register_and_login(client), await register_and_login(client)
    await _credit(app, alice.user_id, 10_000_00)
    await _credit(app, bob.user_id, 5_00)

    balances = (await client.get("/api/v1/accounts", headers=alice.headers)).json()
    assert balances == [
        {"asset": "INR", "bucket": "available", "balance": 7_500_00, "scale": 2},
        {"asset": "INR", "bucket": "locked", "balance": 2_500_00, "scale": 2},
    ]
    first = (
        await client.get("/api/v1/accounts/entries", params={"limit": 2}, headers=alice.headers)
    ).json()
    assert [line["kind"] for line in first["items"]] == ["reserve", "reserve"]
    rest = (
        await client.get(
            "/api/v1/accounts/entries",
            params={"cursor": first["next_cursor"]},
            headers=alice.headers,
        )
    ).json()
    assert [(line["kind"], line["amount"]) for line in rest["items"]] == [("deposit", 10_000_00)]
    assert rest["next_cursor"] is None
    assert all(line["amount"] != 5_00 for line in first["items"] + rest["items"])  # none of Bob's

    assert_problem(await client.get("/api/v1/accounts"), 401, "auth.unauthenticated")
    assert_problem(
        await client.get(
            "/api/v1/accounts/entries", params={"cursor": "e30="}, headers=alice.headers
        ),
        400,
        "pagination.invalid_cursor",
    )

"""Who sees what: issuers their own instruments' events, admins all, holders their own
entitlement only."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import httpx
from fastapi import FastAPI

from tests.corporate_actions.conftest import (
    actions,
    corporate_bond,
    detail,
    gsec,
    next_weekday,
    run_job,
    today,
)
from tests.helpers import assert_problem
from tests.instruments.test_instruments_api import issuer
from tests.trading.conftest import fund_units, verified_investor


async def test_holders_see_their_own_entitlement_and_issuers_their_own_events(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    due = next_weekday(today() + timedelta(days=20), 2)
    market = await corporate_bond(client, app, due)
    holder, other_holder = await verified_investor(client), await verified_investor(client)
    stranger = await verified_investor(client)
    other_issuer = await issuer(client, market.admin)
    await fund_units(app, market, holder, 100)
    await fund_units(app, market, other_holder, 200)
    await run_job(app, today())
    [coupon] = await actions(client, market)
    await run_job(app, date.fromisoformat(coupon["record_date"]) + timedelta(days=1))

    everything = await detail(client, market.issuer, coupon["id"])
    assert {e["user_id"] for e in everything["entitlements"]} == {
        holder.user_id,
        other_holder.user_id,
    }
    mine = await detail(client, holder, coupon["id"])
    assert [(e["user_id"], e["units"]) for e in mine["entitlements"]] == [(holder.user_id, 100)]
    assert (await detail(client, stranger, coupon["id"]))["entitlements"] == []
    assert (await detail(client, other_issuer, coupon["id"]))["entitlements"] == []
    path = f"/api/v1/corporate-actions/{coupon['id']}"
    assert_problem(await client.get(path), 401, "auth.unauthenticated")
    assert_problem(
        await client.get(f"/api/v1/corporate-actions/{uuid.uuid4()}", headers=holder.headers),
        404,
        "corporate_action.not_found",
    )

    # Lists are for issuers (their instruments) and admins.
    assert_problem(
        await client.get("/api/v1/corporate-actions", headers=holder.headers),
        403,
        "auth.forbidden_role",
    )
    theirs = await client.get("/api/v1/corporate-actions", headers=other_issuer.headers)
    assert theirs.status_code == 200 and theirs.json()["items"] == []
    assert_problem(
        await client.post(
            "/api/v1/corporate-actions",
            json={"instrument_id": market.id, "kind": "coupon", "due_date": due.isoformat()},
            headers=other_issuer.headers,
        ),
        403,
        "corporate_action.not_issuer",
    )


async def test_admins_page_through_every_event_by_payment_date(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    corporate = await corporate_bond(client, app, next_weekday(today() + timedelta(days=20), 2))
    government = await gsec(client, app, next_weekday(today() + timedelta(days=30), 2))
    await run_job(app, today())

    seen, cursor = [], None
    while True:
        params = {"limit": 1, **({"cursor": cursor} if cursor else {})}
        page = await client.get(
            "/api/v1/corporate-actions", params=params, headers=corporate.admin.headers
        )
        assert page.status_code == 200, page.text
        seen += page.json()["items"]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    assert [a["isin"] for a in seen] == [corporate.isin, government.isin]
    assert [a["payment_date"] for a in seen] == sorted(a["payment_date"] for a in seen)

    filtered = await client.get(
        "/api/v1/corporate-actions",
        params={"kind": "redemption", "status": "scheduled"},
        headers=corporate.admin.headers,
    )
    assert [a["isin"] for a in filtered.json()["items"]] == [government.isin]
    assert_problem(
        await client.get(
            "/api/v1/corporate-actions",
            params={"cursor": "not-a-cursor"},
            headers=corporate.admin.headers,
        ),
        400,
        "pagination.invalid_cursor",
    )

"""Bad RFQ requests get a clear 4xx problem and change nothing; limits hold."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from tests.helpers import assert_problem, register_and_login
from tests.rfq.conftest import Desk, ask, asked, get, quote, quoted
from tests.trading.conftest import list_bond, verified_investor


async def test_requests_are_checked(client: httpx.AsyncClient, desk: Desk) -> None:
    assert_problem(await ask(client, desk, quantity=150), 422, "rfq.invalid_lot")
    stranger = await register_and_login(client)
    assert_problem(
        await ask(client, desk, dealer_ids=[stranger.user_id]), 422, "rfq.unknown_dealer"
    )
    asking_myself = await client.post(
        "/api/v1/rfqs",
        json={"instrument_id": desk.market.id, "side": "buy", "quantity": 100,
              "dealer_ids": [desk.dealers[0].user_id]},
        headers=desk.dealers[0].headers,
    )  # fmt: skip
    assert_problem(asking_myself, 422, "rfq.unknown_dealer")
    unverified = await client.post(
        "/api/v1/rfqs",
        json={"instrument_id": desk.market.id, "side": "buy", "quantity": 100},
        headers=stranger.headers,
    )
    assert_problem(unverified, 403, "kyc.not_verified")
    assert_problem(await ask(client, desk, expires_in_seconds=1), 422, "request.validation_failed")
    assert (await get(client, "/api/v1/rfqs", desk.requester))["items"] == []


async def test_quotes_and_acceptances_are_checked(
    client: httpx.AsyncClient, app: FastAPI, desk: Desk
) -> None:
    d1, d2, d3 = desk.dealers
    rfq = await asked(client, desk, dealer_ids=[d1.user_id, d2.user_id])
    rfq_id = rfq["id"]
    # Only dealers asked may quote; a non-dealer is refused outright.
    assert_problem(await quote(client, d3, rfq_id, "100"), 404, "rfq.not_found")
    assert_problem(await quote(client, desk.requester, rfq_id, "100"), 403, "auth.forbidden_role")
    assert_problem(await quote(client, d1, rfq_id, "100.001"), 422, "rfq.invalid_tick")
    assert_problem(
        await quote(client, d1, rfq_id, "100", last_look_ms=10_000), 422, "rfq.last_look_too_long"
    )
    indicative = await quoted(client, d1, rfq_id, "100", firm=False)
    firm = await quoted(client, d2, rfq_id, "100.50")

    async def accept(body: dict[str, object]) -> httpx.Response:
        return await client.post(
            f"/api/v1/rfqs/{rfq_id}/accept", json=body, headers=desk.requester.headers
        )

    assert_problem(await accept({"quote_id": indicative["id"]}), 409, "rfq.quote_not_firm")
    assert_problem(
        await accept({"quote_id": firm["id"], "price": "100.25"}), 409, "rfq.quote_changed"
    )
    # A dealer cannot accept, nor touch another dealer's quote.
    taken = await client.post(
        f"/api/v1/rfqs/{rfq_id}/accept", json={"quote_id": firm["id"]}, headers=d1.headers
    )
    assert_problem(taken, 404, "rfq.not_found")
    withdrawn = await client.delete(
        f"/api/v1/rfqs/{rfq_id}/quotes/{firm['id']}", headers=d1.headers
    )
    assert_problem(withdrawn, 404, "quote.not_found")
    # Withdrawn is withdrawn.
    gone = await client.delete(f"/api/v1/rfqs/{rfq_id}/quotes/{firm['id']}", headers=d2.headers)
    assert gone.status_code == 200 and gone.json()["quotes"][0]["status"] == "withdrawn"
    assert_problem(await accept({"quote_id": firm["id"]}), 409, "rfq.quote_not_live")
    assert (await get(client, f"/api/v1/rfqs/{rfq_id}", desk.requester))["status"] == "open"


async def test_firm_quotes_must_be_backed_and_counters_better(
    client: httpx.AsyncClient, desk: Desk
) -> None:
    d1 = desk.dealers[0]
    # The dealer holds 10,000 units and ₹1 crore: it cannot offer 20,000 units firm, nor
    # bid firm for ₹2 crore of bonds; it may still show an indicative price.
    big_buy = await asked(client, desk, quantity=20_000)
    body = assert_problem(
        await quote(client, d1, big_buy["id"], "100"), 422, "rfq.quote_not_backed"
    )
    assert (body["required"], body["available"]) == (20_000, 10_000)
    await quoted(client, d1, big_buy["id"], "100", firm=False)
    big_sell = await asked(client, desk, quantity=200_000, side="sell")
    assert_problem(await quote(client, d1, big_sell["id"], "100"), 422, "rfq.quote_not_backed")

    rfq = await asked(client, desk)
    offer = await quoted(client, d1, rfq["id"], "100.50")
    for worse in ("100.50", "100.75"):
        countered = await client.post(
            f"/api/v1/rfqs/{rfq['id']}/quotes/{offer['id']}/counter",
            json={"price": worse},
            headers=desk.requester.headers,
        )
        assert_problem(countered, 422, "rfq.counter_not_better")


async def test_limits(client: httpx.AsyncClient, app: FastAPI, desk: Desk) -> None:
    admin, d1 = desk.market.admin, desk.dealers[0]

    async def limit(scope: str, subject: str, **values: int | None) -> None:
        response = await client.put(
            "/api/v1/rfqs/limits",
            json={"scope": scope, "subject_id": subject, **values},
            headers=admin.headers,
        )
        assert response.status_code == 200, response.text

    assert_problem(
        await client.put(
            "/api/v1/rfqs/limits",
            json={"scope": "requester", "subject_id": desk.requester.user_id, "max_open": 1},
            headers=desk.requester.headers,
        ),
        403,
        "auth.forbidden_role",
    )
    await limit("requester", desk.requester.user_id, max_quantity=500, max_open=1)
    await limit("instrument", desk.market.id, max_quantity=300)
    await limit("dealer", d1.user_id, max_quantity=100)
    assert_problem(await ask(client, desk, quantity=600), 422, "rfq.max_quantity_exceeded")
    assert_problem(await ask(client, desk, quantity=400), 422, "rfq.max_quantity_exceeded")
    rfq = await asked(client, desk, quantity=200)
    assert_problem(await ask(client, desk, quantity=100), 422, "rfq.too_many_open")
    assert_problem(await quote(client, d1, rfq["id"], "100"), 422, "rfq.dealer_limit_exceeded")
    set_ = await get(client, "/api/v1/rfqs/limits", admin)
    assert {(row["scope"], row["max_quantity"]) for row in set_} == {
        ("requester", 500), ("instrument", 300), ("dealer", 100),
    }  # fmt: skip
    # Both limits None removes a subject's limits.
    await limit("dealer", d1.user_id, max_quantity=None, max_open=None)
    await quoted(client, d1, rfq["id"], "100")
    audit = await get(client, "/api/v1/admin/audit?action=rfq.limit_set", admin)
    assert len(audit["items"]) == 4


async def test_no_dealer_to_ask(client: httpx.AsyncClient, app: FastAPI) -> None:
    market = await list_bond(client, app)
    requester = await verified_investor(client)
    response = await client.post(
        "/api/v1/rfqs",
        json={"instrument_id": market.id, "side": "buy", "quantity": 100},
        headers=requester.headers,
    )
    assert_problem(response, 422, "rfq.no_dealers")

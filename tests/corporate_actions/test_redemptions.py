"""Redemptions and calls over HTTP: principal and final coupon, units retired, the bond
matured; an issuer that cannot pay defaults and nobody is paid."""

from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from liquibond.platform.outbox import OutboxRow
from liquibond.platform.uow import UnitOfWork
from tests.corporate_actions.conftest import (
    NSE,
    actions,
    cash,
    corporate_bond,
    detail,
    gsec,
    next_weekday,
    on_or_before,
    run_job,
    tax_on,
    today,
    units,
)
from tests.helpers import assert_problem
from tests.trading.conftest import fund_cash, fund_units, order, verified_investor

PRINCIPAL = 100_00
HALF_COUPON = 363  # 7.26% / 2 of ₹100, in paise


async def test_a_redemption_due_on_a_holiday_is_paid_the_previous_business_day(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    sunday = next_weekday(today() + timedelta(days=20), 6)
    market = await gsec(client, app, sunday)
    first, second = await verified_investor(client), await verified_investor(client)
    await fund_units(app, market, first, 1_000)
    await fund_units(app, market, second, 300)

    await run_job(app, today())
    [redemption] = await actions(client, market)
    payment = on_or_before(sunday - timedelta(days=1))
    assert (redemption["kind"], redemption["due_date"]) == ("redemption", sunday.isoformat())
    assert redemption["payment_date"] == payment.isoformat()
    assert redemption["amount_per_unit"] == PRINCIPAL + HALF_COUPON
    record = date.fromisoformat(redemption["record_date"])
    assert record == NSE.advance(payment, -1)

    # From the record date the bond stops trading: its units are about to be retired.
    await run_job(app, record)
    bond = (await client.get(f"/api/v1/instruments/{market.id}")).json()
    assert bond["status"] == "suspended"
    assert (await order(client, first, market, "sell", "100", 100)).status_code == 422

    await fund_cash(app, market.issuer, 1_300 * (PRINCIPAL + HALF_COUPON))
    await run_job(app, payment)
    paid = await detail(client, market.admin, redemption["id"])
    assert paid["status"] == "paid"
    # Tax is withheld from the final coupon only, never from the principal.
    for who, held in ((first, 1_000), (second, 300)):
        coupon = held * HALF_COUPON
        assert await cash(app, who) == held * PRINCIPAL + coupon - tax_on(coupon)
        assert await units(app, market, who) == 0
    assert await units(app, market, market.issuer) == 0  # its unsold units are retired too
    bond = (await client.get(f"/api/v1/instruments/{market.id}")).json()
    assert (bond["status"], bond["payment_default_at"]) == ("matured", None)

    entries = (await client.get("/api/v1/accounts/entries", headers=second.headers)).json()
    assert [line["kind"] for line in entries["items"]][:1] == ["redemption"]


async def test_an_underfunded_issuer_defaults_and_nobody_is_paid(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    due = next_weekday(today() + timedelta(days=20), 2)  # a Wednesday
    market = await corporate_bond(client, app, due)
    rich, poor = await verified_investor(client), await verified_investor(client)
    await fund_units(app, market, rich, 1_000)
    await fund_units(app, market, poor, 100)
    await run_job(app, today())
    [coupon] = [a for a in await actions(client, market) if a["kind"] == "coupon"]

    # Enough for one holder, not for both: nothing is paid at all.
    await fund_cash(app, market.issuer, 1_000 * 900)
    await run_job(app, date.fromisoformat(coupon["payment_date"]))
    failed = await detail(client, market.admin, coupon["id"])
    assert failed["status"] == "defaulted" and failed["payments"] == []
    assert "nobody was paid" in failed["status_reason"]
    assert len(failed["entitlements"]) == 2
    assert (await cash(app, rich), await cash(app, poor)) == (0, 0)
    assert await cash(app, market.issuer) == 1_000 * 900
    bond = (await client.get(f"/api/v1/instruments/{market.id}")).json()
    assert bond["payment_default_at"] is not None
    assert coupon["due_date"] in bond["payment_default_reason"]

    async with UnitOfWork(app.state.database, write=False) as uow:
        events = list(
            await uow.session.scalars(
                select(OutboxRow).where(OutboxRow.type == "corporate_action.defaulted.v1")
            )
        )
    [event] = events
    assert event.data["required"] == 1_100 * 900 and event.data["available"] == 1_000 * 900
    assert sorted(event.data["holder_ids"]) == sorted([rich.user_id, poor.user_id])

    # A default is final: running again pays nobody, even once the issuer has the money.
    await fund_cash(app, market.issuer, 100 * 900)
    await run_job(app, date.fromisoformat(coupon["payment_date"]) + timedelta(days=1))
    assert (await detail(client, market.admin, coupon["id"]))["status"] == "defaulted"
    assert await cash(app, rich) == 0


async def test_an_issuer_call_redeems_early_with_notice(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    due = next_weekday(today() + timedelta(days=38), 2)
    market = await corporate_bond(client, app, due)
    holder = await verified_investor(client)
    await fund_units(app, market, holder, 1_000)
    await run_job(app, today())
    [coupon] = await actions(client, market)
    assert coupon["kind"] == "coupon"

    def call(day: date, **extra: object) -> dict[str, object]:
        return {"instrument_id": market.id, "kind": "call", "due_date": day.isoformat(), **extra}

    async def announce(day: date, **extra: object) -> httpx.Response:
        return await client.post(
            "/api/v1/corporate-actions", json=call(day, **extra), headers=market.issuer.headers
        )

    too_soon = on_or_before(today() + timedelta(days=10))
    assert_problem(await announce(too_soon), 422, "corporate_action.notice_too_short")
    sunday = next_weekday(today() + timedelta(days=22), 6)
    assert_problem(await announce(sunday), 422, "corporate_action.not_a_business_day")
    called_on = on_or_before(sunday)
    created = await announce(called_on, call_price="101.5")
    assert created.status_code == 201, created.text
    called = created.json()
    assert (called["kind"], called["status"], called["call_price"]) == (
        "call",
        "scheduled",
        "101.5",
    )
    assert called["payment_date"] == called_on.isoformat()
    assert called["created_by"] == market.issuer.user_id
    assert_problem(await announce(called_on), 409, "corporate_action.already_called")
    # The coupon due after the call will never be paid.
    cancelled = await detail(client, market.issuer, coupon["id"])
    assert cancelled["status"] == "cancelled"
    assert called_on.isoformat() in cancelled["status_reason"]

    # ₹101.50 a unit, and 9% interest accrued from the last coupon to the call.
    assert called["period_start"] == due.replace(year=due.year - 1).isoformat()
    accrued = Fraction((called_on - due.replace(year=due.year - 1)).days)
    accrued /= (due - due.replace(year=due.year - 1)).days
    assert called["amount_per_unit"] == 101_50 + round(900 * accrued)
    await fund_cash(app, market.issuer, 2_000 * called["amount_per_unit"])
    await run_job(app, called_on)
    paid = await detail(client, market.admin, called["id"])
    assert paid["status"] == "paid"
    [held] = paid["entitlements"]
    interest = round(1_000 * 900 * accrued)
    assert (held["principal"], held["interest"]) == (1_000 * 101_50, interest)
    assert held["tax"] == round(Fraction(interest, 10))
    assert await units(app, market, holder) == 0
    bond = (await client.get(f"/api/v1/instruments/{market.id}")).json()
    assert bond["status"] == "matured"


async def test_announcing_is_for_the_issuer_and_admins(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    due = next_weekday(today() + timedelta(days=20), 2)
    market = await corporate_bond(client, app, due)
    holder = await verified_investor(client)
    body = {"instrument_id": market.id, "kind": "coupon", "due_date": due.isoformat()}

    assert_problem(
        await client.post("/api/v1/corporate-actions", json=body, headers=holder.headers),
        403,
        "auth.forbidden_role",
    )
    created = await client.post(
        "/api/v1/corporate-actions", json=body, headers=market.issuer.headers
    )
    assert created.status_code == 201, created.text
    assert created.json()["record_date"] < due.isoformat()
    assert_problem(
        await client.post("/api/v1/corporate-actions", json=body, headers=market.admin.headers),
        409,
        "corporate_action.exists",
    )
    assert_problem(
        await client.post(
            "/api/v1/corporate-actions",
            json={**body, "due_date": (due + timedelta(days=1)).isoformat()},
            headers=market.issuer.headers,
        ),
        422,
        "corporate_action.not_scheduled",
    )
    assert_problem(
        await client.post(
            "/api/v1/corporate-actions",
            json={**body, "call_price": "100"},
            headers=market.issuer.headers,
        ),
        422,
        "request.validation_failed",
    )
    # The schedule's own run finds it announced already: one event per payment.
    await run_job(app, today())
    assert [a["id"] for a in await actions(client, market) if a["kind"] == "coupon"] == [
        created.json()["id"]
    ]

"""Coupons over HTTP: who is paid (holders as settled at the record date's close), the
ex-coupon window's negative accrued interest, tax, and holidays."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from fractions import Fraction
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from liquibond.corporate_actions.service import CorporateActionService, UpcomingPayment
from liquibond.platform.uow import UnitOfWork
from tests.corporate_actions.conftest import (
    NSE,
    actions,
    cash,
    corporate_bond,
    detail,
    gsec,
    next_weekday,
    nse_preceding_or_same,
    on_or_after,
    run_job,
    settles_today,
    tax_on,
    today,
)
from tests.helpers import LoggedIn
from tests.trading.conftest import Market, fund_cash, fund_units, order, verified_investor

COUPON_PER_UNIT = 900  # 9% of ₹100, annual, in paise


async def _trade(
    client: httpx.AsyncClient, market: Market, seller: LoggedIn, buyer: LoggedIn, quantity: int
) -> dict[str, Any]:
    """The seller sells `quantity` units to the buyer at 100; the buyer's side of the fill."""
    ask = await order(client, seller, market, "sell", "100", quantity)
    assert ask.status_code == 201, ask.text
    bid = await order(client, buyer, market, "buy", "100", quantity)
    assert bid.json()["status"] == "filled", bid.text
    fills = (await client.get("/api/v1/trades", headers=buyer.headers)).json()["items"]
    [fill] = [f for f in fills if f["order_id"] == bid.json()["id"]]
    return dict(fill)


async def test_a_trade_settling_on_the_record_date_is_cum_coupon(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    settles = settles_today()
    due = settles + timedelta(days=15)  # the record date is the settlement date itself
    market = await corporate_bond(client, app, due)
    alice, bob = await verified_investor(client), await verified_investor(client)
    dave, erin = await verified_investor(client), await verified_investor(client)
    await fund_units(app, market, alice, 1_000)  # held long before the record date
    await fund_units(app, market, dave, 200)
    await fund_cash(app, bob, 1_00_000_00)
    await fund_cash(app, erin, 1_00_000_00)

    # Bought today, T+1: settles on the record date, so the buyers are holders of record.
    bought = await _trade(client, market, alice, bob, 300)
    assert bought["settlement_date"] == settles.isoformat() and bought["accrued_interest"] > 0
    await _trade(client, market, dave, erin, 200)

    await run_job(app, today())
    [coupon] = [a for a in await actions(client, market) if a["due_date"] == due.isoformat()]
    payment = on_or_after(due)
    assert (coupon["kind"], coupon["status"]) == ("coupon", "scheduled")
    assert coupon["record_date"] == coupon["ex_date"] == settles.isoformat()
    assert coupon["payment_date"] == payment.isoformat()
    assert coupon["amount_per_unit"] == COUPON_PER_UNIT
    assert coupon["period_start"] == due.replace(year=due.year - 1).isoformat()

    total = 1_200 * COUPON_PER_UNIT
    await fund_cash(app, market.issuer, total)
    await run_job(app, payment)

    paid = await detail(client, market.admin, coupon["id"])
    assert (paid["status"], paid["holders"], paid["units"]) == ("paid", 3, 1_200)
    owed = {
        e["user_id"]: (e["units"], e["gross"], e["tax"], e["net"]) for e in paid["entitlements"]
    }
    assert market.issuer.user_id not in owed  # the issuer's unsold units are owed to nobody
    for who, held in ((alice, 700), (bob, 300), (erin, 200)):
        gross = held * COUPON_PER_UNIT
        assert owed[who.user_id] == (held, gross, tax_on(gross), gross - tax_on(gross))
    assert dave.user_id not in owed
    assert {p["user_id"] for p in paid["payments"]} == set(owed)
    assert await cash(app, market.issuer) == 0
    assert await cash(app, None) == tax_on(total)
    assert await cash(app, alice) == bought["dirty_amount"] + 630_000 - 63_000

    async with UnitOfWork(app.state.database, write=False) as uow:
        service = CorporateActionService(uow.session)
        [payout] = await service.payouts(uuid.UUID(bob.user_id), payment, payment + timedelta(1))
        assert await service.payouts(uuid.UUID(bob.user_id), today(), payment) == []
        upcoming = await service.upcoming(uuid.UUID(market.id), payment + timedelta(days=30))
    assert (payout.kind, payout.units, payout.gross, payout.tax, payout.net) == (
        "coupon",
        300,
        270_000,
        27_000,
        243_000,
    )
    assert (payout.isin, payout.record_date, payout.currency) == (market.isin, settles, "INR")
    assert upcoming == []  # paid; the next coupon is a year away


@pytest.mark.parametrize(
    "record_date",
    [
        "today",  # bought on the record date (on a weekend: after the last one)
        "a week before settlement",
    ],
)
async def test_a_trade_settling_after_the_record_date_is_ex_coupon(
    client: httpx.AsyncClient, app: FastAPI, record_date: str
) -> None:
    settles = settles_today()
    # Either way the trade settles inside the ex-coupon window (after the record date).
    due = today() + timedelta(days=15) if record_date == "today" else settles + timedelta(days=7)
    market = await corporate_bond(client, app, due)
    seller, buyer = await verified_investor(client), await verified_investor(client)
    await fund_units(app, market, seller, 500)
    await fund_cash(app, buyer, 1_00_000_00)

    fill = await _trade(client, market, seller, buyer, 200)
    # The seller keeps the coupon: the buyer's accrued interest is negative, the interest
    # from settlement to the coupon date at 9% on ₹20,000 (ACT/ACT-SEBI: a 365/366-day year).
    year = (due - due.replace(year=due.year - 1)).days
    assert fill["accrued_interest"] == -round(Fraction(200 * 900 * (due - settles).days, year))
    assert fill["dirty_amount"] == fill["clean_amount"] + fill["accrued_interest"]
    record = nse_preceding_or_same(due - timedelta(days=15))
    assert record < settles

    await run_job(app, today())
    [coupon] = [a for a in await actions(client, market) if a["due_date"] == due.isoformat()]
    assert coupon["record_date"] == record.isoformat()
    await fund_cash(app, market.issuer, 500 * COUPON_PER_UNIT)
    await run_job(app, date.fromisoformat(coupon["payment_date"]))

    paid = await detail(client, market.admin, coupon["id"])
    assert paid["status"] == "paid"
    assert [(e["user_id"], e["units"]) for e in paid["entitlements"]] == [(seller.user_id, 500)]
    assert await cash(app, buyer) == 1_00_000_00 - fill["dirty_amount"]


async def test_a_coupon_due_on_a_holiday_is_paid_the_next_business_day(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    sunday = next_weekday(today() + timedelta(days=20), 6)
    # A G-sec paying half-yearly on a Sunday: due then, paid the next business day.
    market = await gsec(
        client,
        app,
        sunday.replace(year=sunday.year + 1),
        issue_date=sunday.replace(year=sunday.year - 1).isoformat(),
    )
    holder = await verified_investor(client)
    await fund_units(app, market, holder, 1_000)

    await run_job(app, today())
    [coupon] = [a for a in await actions(client, market) if a["kind"] == "coupon"]
    payment = on_or_after(sunday)
    assert coupon["due_date"] == sunday.isoformat()
    assert coupon["payment_date"] == payment.isoformat() and payment > sunday
    # G-sec: a one-day shut period, the record date being the business day before payment.
    record = date.fromisoformat(coupon["record_date"])
    assert record < sunday and NSE.is_business_day(record)
    assert all(
        not NSE.is_business_day(record + timedelta(d)) for d in range(1, (payment - record).days)
    )

    await fund_cash(app, market.issuer, 1_000 * 363)
    await run_job(app, sunday)  # due, not payable yet
    assert (await detail(client, market.admin, coupon["id"]))["status"] == "entitled"
    assert await cash(app, holder) == 0
    await run_job(app, payment)
    assert (await detail(client, market.admin, coupon["id"]))["status"] == "paid"
    assert await cash(app, holder) == 363_000 - 36_300


async def test_upcoming_payments_come_from_events_or_else_the_schedule(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    due = next_weekday(today() + timedelta(days=60), 2)  # beyond the job's horizon
    market = await corporate_bond(client, app, due, coupon_frequency=2)
    instrument_id = uuid.UUID(market.id)

    async def upcoming() -> list[UpcomingPayment]:
        async with UnitOfWork(app.state.database, write=False) as uow:
            service = CorporateActionService(uow.session)
            return await service.upcoming(instrument_id, due + timedelta(days=200))

    # Nothing announced yet: both coupons come from the schedule, with their key dates.
    first, second = await upcoming()
    assert (first.action_id, second.action_id) == (None, None)
    assert (first.kind, second.kind) == ("coupon", "coupon")
    assert first.payment_date == on_or_after(due) < second.payment_date
    assert first.record_date == first.ex_date == nse_preceding_or_same(due - timedelta(days=15))
    assert (first.isin, first.currency) == (market.isin, "INR")

    announced = await client.post(
        "/api/v1/corporate-actions",
        json={"instrument_id": market.id, "kind": "coupon", "due_date": due.isoformat()},
        headers=market.issuer.headers,
    )
    assert announced.status_code == 201, announced.text
    event, schedule = await upcoming()
    assert str(event.action_id) == announced.json()["id"] and schedule.action_id is None
    assert event.amount_per_unit == announced.json()["amount_per_unit"] == first.amount_per_unit

"""The job pays once: run twice, crashed or killed half-way and run again, every holder is
paid exactly once (and the ledger balances: the conftest verifies it after every test)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from liquibond.config import Settings
from liquibond.corporate_actions.models import CorporateAction
from liquibond.corporate_actions.service import VENUE, CorporateActionService, Policy
from liquibond.ledger.models import JournalEntry
from liquibond.ledger.service import LedgerService
from liquibond.platform.uow import UnitOfWork
from tests.conftest import make_settings
from tests.corporate_actions.conftest import (
    actions,
    cash,
    corporate_bond,
    detail,
    next_weekday,
    run_job,
    today,
)
from tests.helpers import LoggedIn, assert_problem
from tests.trading.conftest import Market, fund_cash, fund_units, verified_investor

COUPON = 900  # paise a unit
HOLDINGS = (100, 200, 300)


async def _coupon_with_holders(
    client: httpx.AsyncClient, app: FastAPI
) -> tuple[Market, list[LoggedIn], dict[str, Any]]:
    """A funded coupon a few weeks out, three holders, its register read."""
    due = next_weekday(today() + timedelta(days=20), 2)
    market = await corporate_bond(client, app, due)
    holders = [await verified_investor(client) for _ in HOLDINGS]
    for holder, held in zip(holders, HOLDINGS, strict=True):
        await fund_units(app, market, holder, held)
    await fund_cash(app, market.issuer, sum(HOLDINGS) * COUPON)
    await run_job(app, today())
    [coupon] = await actions(client, market)
    await run_job(app, date.fromisoformat(coupon["record_date"]) + timedelta(days=1))
    return market, holders, await detail(client, market.admin, coupon["id"])


async def _entries(app: FastAPI, action_id: str) -> int:
    async with UnitOfWork(app.state.database, write=False) as uow:
        count = await uow.session.scalar(
            select(func.count()).where(JournalEntry.reference.like(f"ca:{action_id}:%"))
        )
    return int(count or 0)


async def _paid_once(app: FastAPI, holders: list[LoggedIn], coupon: dict[str, Any]) -> None:
    assert await _entries(app, coupon["id"]) == len(holders)
    for holder, held in zip(holders, HOLDINGS, strict=True):
        assert await cash(app, holder) == held * COUPON * 9 // 10


def _failing_post(monkeypatch: pytest.MonkeyPatch, fail: Callable[[int], Any]) -> None:
    """Make the ledger's n-th coupon payment run `fail(n)` (which may raise or block)."""
    post = LedgerService.post
    calls = {"coupon": 0}

    async def flaky(self: LedgerService, draft: Any) -> Any:
        if draft.kind == "coupon":
            calls["coupon"] += 1
            await fail(calls["coupon"])
        return await post(self, draft)

    monkeypatch.setattr(LedgerService, "post", flaky)


async def test_the_register_is_read_once_and_paid_once(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    _, holders, coupon = await _coupon_with_holders(client, app)
    assert coupon["status"] == "entitled" and len(coupon["entitlements"]) == 3
    payment = date.fromisoformat(coupon["payment_date"])

    await run_job(app, payment)
    await run_job(app, payment)
    assert await run_job(app, payment + timedelta(days=1)) == 0  # nothing left to do

    await _paid_once(app, holders, coupon)
    paid = await detail(client, holders[0], coupon["id"])
    assert paid["status"] == "paid" and len(paid["payments"]) == 1


async def test_a_crash_half_way_pays_nobody_and_the_rerun_pays_everybody_once(
    client: httpx.AsyncClient, app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, holders, coupon = await _coupon_with_holders(client, app)
    payment = date.fromisoformat(coupon["payment_date"])

    async def crash_on_the_second(n: int) -> None:
        if n == 2:
            raise RuntimeError("power cut")

    _failing_post(monkeypatch, crash_on_the_second)
    assert await run_job(app, payment) == 0  # the job logged the failure and moved on
    assert (await detail(client, holders[0], coupon["id"]))["status"] == "entitled"
    assert await _entries(app, coupon["id"]) == 0
    assert [await cash(app, holder) for holder in holders] == [0, 0, 0]

    monkeypatch.undo()
    assert await run_job(app, payment) == 1
    await _paid_once(app, holders, coupon)


async def test_a_job_killed_half_way_pays_nobody_and_the_rerun_pays_everybody_once(
    client: httpx.AsyncClient, app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, holders, coupon = await _coupon_with_holders(client, app)
    payment = date.fromisoformat(coupon["payment_date"])
    paying, never = asyncio.Event(), asyncio.Event()

    async def hang_on_the_second(n: int) -> None:
        if n == 2:
            paying.set()  # the first holder's entry is written, not committed
            await never.wait()

    _failing_post(monkeypatch, hang_on_the_second)
    job = asyncio.create_task(run_job(app, payment))
    await asyncio.wait_for(paying.wait(), timeout=10)
    job.cancel()
    with pytest.raises(asyncio.CancelledError):
        await job
    assert await _entries(app, coupon["id"]) == 0

    monkeypatch.undo()
    await run_job(app, payment)
    await _paid_once(app, holders, coupon)


async def test_run_does_what_is_due_today_once_and_only_for_admins(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    # The record date of a coupon 10 days out has passed: running it reads the register.
    due = today() + timedelta(days=10)
    market = await corporate_bond(client, app, due)
    holder = await verified_investor(client)
    await fund_units(app, market, holder, 400)
    announced = await client.post(
        "/api/v1/corporate-actions",
        json={"instrument_id": market.id, "kind": "coupon", "due_date": due.isoformat()},
        headers=market.issuer.headers,
    )
    coupon = announced.json()
    assert coupon["status"] == "scheduled"
    path = f"/api/v1/corporate-actions/{coupon['id']}/run"

    for who in (holder, market.issuer):
        assert_problem(await client.post(path, headers=who.headers), 403, "auth.forbidden_role")
    first = await client.post(path, headers=market.admin.headers)
    assert first.status_code == 200, first.text
    again = await client.post(path, headers=market.admin.headers)
    assert first.json()["status"] == again.json()["status"] == "entitled"
    assert again.json()["entitlements"] == first.json()["entitlements"]
    assert [(e["user_id"], e["units"]) for e in again.json()["entitlements"]] == [
        (holder.user_id, 400)
    ]
    assert again.json()["payments"] == []
    assert_problem(
        await client.post(
            "/api/v1/corporate-actions/01a1ffe6-911d-7aa1-a15e-5e616f649fdf/run",
            headers=market.admin.headers,
        ),
        404,
        "corporate_action.not_found",
    )


async def test_a_running_event_is_skipped_by_other_processes(
    client: httpx.AsyncClient, app: FastAPI, backend: str
) -> None:
    if backend != "postgres":
        pytest.skip("SQLite has one writer at a time; row locks are PostgreSQL's")
    _, _, coupon = await _coupon_with_holders(client, app)
    policy = Policy.from_settings(app.state.settings)
    payment = date.fromisoformat(coupon["payment_date"])
    async with UnitOfWork(app.state.database) as holding:
        await holding.session.scalar(
            select(CorporateAction).where(CorporateAction.id == coupon["id"]).with_for_update()
        )
        async with UnitOfWork(app.state.database) as other:
            service = CorporateActionService(other.session)
            assert await service.run(coupon["id"], payment, VENUE, policy, skip_locked=True) is None


class TestTheScheduler:
    """The server runs the job by itself."""

    @pytest.fixture
    def settings(self, database_url: str, tmp_path: Path) -> Settings:
        """Settings with the job every 50 ms."""
        return make_settings(database_url, tmp_path, corporate_actions_interval_seconds=0.05)

    async def test_the_server_announces_and_runs_events_on_its_own(
        self, client: httpx.AsyncClient, app: FastAPI
    ) -> None:
        # A coupon 10 days out: its record date has passed, so its register is read at once.
        market = await corporate_bond(client, app, today() + timedelta(days=10))
        for _ in range(200):
            found = await actions(client, market)
            if found and found[0]["status"] == "entitled":
                break
            await asyncio.sleep(0.05)
        [coupon] = await actions(client, market)
        assert coupon["status"] == "entitled" and coupon["created_by"] is None

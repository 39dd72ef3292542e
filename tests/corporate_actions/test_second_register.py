"""A second register (a tokenized bond's, on chain) checked against the ledger's before anybody
is entitled, through the `Register` port with a fake: agreeing, it entitles and says so;
disagreeing, it holds the event with the break recorded and pays nobody; not ready, it waits."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from liquibond.corporate_actions.register import (
    RecordRegister,
    RegisterNotReady,
    cross_check,
)
from liquibond.corporate_actions.runtime import run_due
from liquibond.corporate_actions.service import VENUE, CorporateActionService, Policy
from liquibond.platform.audit import AuditEntry
from liquibond.platform.uow import UnitOfWork
from liquibond.valuation.service import MARKET_TIME
from tests.corporate_actions.conftest import (
    actions,
    cash,
    corporate_bond,
    detail,
    next_weekday,
    run_job,
    today,
)
from tests.helpers import LoggedIn
from tests.trading.conftest import Market, fund_cash, fund_units, verified_investor

COUPON = 900  # paise a unit
HOLDINGS = (100, 200, 300)


class FakeRegister:
    """A register that holds what it is told, and remembers what it was asked."""

    def __init__(self, held: Mapping[uuid.UUID, int] | None = None, **fields: Any) -> None:
        self.held = dict(held or {})
        self.fields = fields
        self.asked: list[tuple[uuid.UUID, date, datetime]] = []
        self.ready = True

    async def at_close(
        self, session: AsyncSession, instrument_id: uuid.UUID, record_date: date, close: datetime
    ) -> RecordRegister | None:
        self.asked.append((instrument_id, record_date, close))
        if not self.ready:
            raise RegisterNotReady(code="corporate_action.register_not_ready", detail="Later.")
        return RecordRegister(
            **{"source": "the fake", "block": 7, "held": self.held, "verified": True} | self.fields
        )


async def _coupon(
    client: httpx.AsyncClient, app: FastAPI
) -> tuple[Market, list[LoggedIn], dict[str, Any]]:
    """A coupon a few weeks out with three holders and the issuer's cash to pay it."""
    due = next_weekday(today() + timedelta(days=20), 2)
    market = await corporate_bond(client, app, due)
    holders = [await verified_investor(client) for _ in HOLDINGS]
    for holder, held in zip(holders, HOLDINGS, strict=True):
        await fund_units(app, market, holder, held)
    await fund_cash(app, market.issuer, sum(HOLDINGS) * COUPON)
    await run_job(app, today())
    [coupon] = await actions(client, market)
    return market, holders, coupon


def _ledger(holders: list[LoggedIn]) -> dict[uuid.UUID, int]:
    return {uuid.UUID(h.user_id): held for h, held in zip(holders, HOLDINGS, strict=True)}


async def _run(app: FastAPI, day: date, register: FakeRegister) -> int:
    policy = Policy.from_settings(app.state.settings)
    return await run_due(app.state.database, policy, day, register=register)


def _days(coupon: dict[str, Any]) -> tuple[date, date]:
    """The day after the record date, and the payment date."""
    record = date.fromisoformat(coupon["record_date"])
    return record + timedelta(days=1), date.fromisoformat(coupon["payment_date"])


async def _audit(app: FastAPI, action_id: str) -> list[tuple[str, dict[str, Any]]]:
    async with UnitOfWork(app.state.database, write=False) as uow:
        rows = await uow.session.execute(
            select(AuditEntry.action, AuditEntry.payload)
            .where(
                AuditEntry.target == f"corporate_action:{action_id}",
                AuditEntry.action.like("corporate_action.register_%"),
            )
            .order_by(AuditEntry.seq)
        )
        return [(action, payload) for action, payload in rows]


async def test_an_agreeing_register_entitles_and_says_so(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market, holders, coupon = await _coupon(client, app)
    issuer = uuid.UUID(market.issuer.user_id)
    register = FakeRegister(_ledger(holders) | {issuer: 999_400})  # the issuer's is not owed
    entitle_on, payment = _days(coupon)
    assert await _run(app, entitle_on, register) == 1
    entitled = await detail(client, market.admin, coupon["id"])
    assert (entitled["status"], entitled["holders"]) == ("entitled", 3)
    assert (
        entitled["status_reason"] == "Cross-checked with the fake at block 7: the registers agree."
    )
    record = date.fromisoformat(coupon["record_date"])
    closed = datetime.combine(record + timedelta(days=1), time(), tzinfo=MARKET_TIME)
    assert register.asked == [(uuid.UUID(market.id), record, closed)]
    [(what, facts)] = await _audit(app, coupon["id"])
    assert what == "corporate_action.register_checked"
    assert (facts["source"], facts["block"], facts["verified"], facts["holders"]) == (
        "the fake",
        7,
        True,
        3,
    )

    assert await _run(app, payment, register) == 1
    assert (await detail(client, market.admin, coupon["id"]))["status"] == "paid"
    assert len(register.asked) == 1  # the register is read once, when entitling


async def test_a_disagreeing_register_holds_the_event_and_pays_nobody(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market, holders, coupon = await _coupon(client, app)
    stranger = "0x" + "ab" * 20
    wrong = FakeRegister(
        _ledger(holders) | {uuid.UUID(holders[0].user_id): 90}, unattributed={stranger: 10}
    )
    entitle_on, payment = _days(coupon)
    assert await _run(app, entitle_on, wrong) == 1
    held = await detail(client, market.admin, coupon["id"])
    assert (held["status"], held["entitlements"]) == ("held", [])
    assert held["status_reason"].startswith(
        "The ledger and the fake at block 7 disagree (2 holders differ, 0 inconsistencies: "
    )
    assert f"{holders[0].user_id}: ledger 100, register 90" in held["status_reason"]
    [(what, facts)] = await _audit(app, coupon["id"])
    assert what == "corporate_action.register_break"
    assert facts["differences"] == [
        {"holder": holders[0].user_id, "ledger": 100, "register": 90},
        {"holder": stranger, "ledger": 0, "register": 10},
    ]

    assert await _run(app, payment, wrong) == 0  # the job leaves a held event to operations
    assert await cash(app, holders[0]) == 0

    # Reconciled, an admin runs it again: entitled and paid at once.
    right = FakeRegister(_ledger(holders))
    async with UnitOfWork(app.state.database) as uow:
        service = CorporateActionService(uow.session, right)
        action = await service.run(
            uuid.UUID(coupon["id"]), payment, VENUE, Policy.from_settings(app.state.settings)
        )
        await uow.commit()
    assert action is not None and action.status == "paid"
    assert await cash(app, holders[0]) == 100 * COUPON * 9 // 10
    assert [what for what, _ in await _audit(app, coupon["id"])] == [
        "corporate_action.register_break",
        "corporate_action.register_checked",
    ]


async def test_a_register_not_ready_leaves_the_event_for_the_next_run(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market, holders, coupon = await _coupon(client, app)
    register = FakeRegister(_ledger(holders))
    register.ready = False
    entitle_on, _ = _days(coupon)
    assert await _run(app, entitle_on, register) == 0
    assert (await detail(client, market.admin, coupon["id"]))["status"] == "scheduled"
    register.ready = True
    assert await _run(app, entitle_on, register) == 1
    assert (await detail(client, market.admin, coupon["id"]))["status"] == "entitled"


async def test_a_bond_the_register_does_not_keep_is_entitled_from_the_ledger_alone(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    class Elsewhere(FakeRegister):
        async def at_close(self, *args: Any) -> RecordRegister | None:
            return None

    market, _, coupon = await _coupon(client, app)
    assert await _run(app, _days(coupon)[0], Elsewhere()) == 1
    entitled = await detail(client, market.admin, coupon["id"])
    assert (entitled["status"], entitled["status_reason"]) == ("entitled", None)
    assert await _audit(app, coupon["id"]) == []


def test_what_the_cross_check_finds() -> None:
    alice, bob, issuer = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    ledger = {alice: 100, bob: 50}

    def check(**fields: Any) -> Any:
        base: dict[str, Any] = {"source": "chain", "block": 9, "held": ledger, "verified": True}
        return cross_check(ledger, RecordRegister(**(base | fields)), issuer)

    unkept = cross_check(ledger, None, issuer)
    assert unkept.agrees and (unkept.reason, unkept.facts) == (None, {})
    assert check(held=ledger | {issuer: 7, uuid.uuid4(): 0}).agrees  # nobody else holds any
    assert not check(held={alice: 100}).agrees  # Bob is missing
    assert not check(held=ledger | {uuid.uuid4(): 1}).agrees  # somebody the ledger has not
    assert not check(unattributed={"0x" + "01" * 20: 3}).agrees
    assert check(unattributed={"0x" + "01" * 20: 0}).agrees
    broken = check(inconsistencies=("0xabc: history 5, balanceOf 6",))
    assert not broken.agrees and "1 inconsistencies: 0xabc: history 5, balanceOf 6" in str(
        broken.reason
    )
    unverified = check(verified=False, note="no state")
    assert unverified.agrees and str(unverified.reason).endswith(
        "not cross-checked with the chain's state: no state"
    )
    missing = check(block=None, note="deployed later")
    assert missing.agrees and missing.reason == "Not cross-checked with chain: deployed later"
    many = check(held={uuid.uuid4(): n for n in range(1, 200)}, source="x" * 400)
    assert not many.agrees and "(201 holders differ" in str(many.reason)
    assert len(many.facts["differences"]) == 201 and len(str(many.reason)) == 500

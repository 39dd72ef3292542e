"""Record-date entitlements of tokenized bonds from the chain's register: the indexed Transfer
history at the record block, cross-checked with `balanceOf` there, brought to the ledger's
terms (trades in flight, trades settling after the record date) and compared with the ledger's
register. They agree: entitled and paid; a tampered chain: held, with the break recorded. On
the embedded chain, on both databases."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from web3.exceptions import Web3RPCError

from liquibond.chain.port import Address, Call, Chain
from liquibond.chain.register import ChainRegister
from liquibond.chain.service import ChainComponents
from liquibond.chain.settlement import settle_due
from liquibond.chain.transfers import index_transfers
from liquibond.config import Settings
from liquibond.corporate_actions.runtime import register, run_due
from liquibond.corporate_actions.service import VENUE, CorporateActionService, Policy
from liquibond.ledger.entries import AccountKey, Owner
from liquibond.ledger.models import Bucket
from liquibond.ledger.service import LedgerService
from liquibond.platform.audit import AuditEntry
from liquibond.platform.uow import UnitOfWork
from liquibond.trading.settlements import units_settling_after
from tests.conftest import make_settings
from tests.corporate_actions.conftest import (
    actions,
    cash,
    corporate_bond,
    detail,
    settles_today,
    today,
)
from tests.helpers import LoggedIn
from tests.payments.conftest import verified_investor
from tests.trading.conftest import Market, fund_cash, fund_units, order

COUPON = 900  # paise a unit: 9% of ₹100


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """The venue on the embedded chain; its jobs and the corporate actions' are run by hand."""
    return make_settings(
        database_url,
        tmp_path,
        chain="embedded",
        chain_interval_seconds=0,
        chain_settlement_interval_seconds=0,
        chain_reconcile_interval_seconds=0,
        corporate_actions_interval_seconds=0,
    )


def _chain(app: FastAPI) -> ChainComponents:
    chain: ChainComponents = app.state.chain
    return chain


async def _run(app: FastAPI, day: date) -> int:
    """The corporate-actions job on `day`, checking registers against the chain's."""
    policy = Policy.from_settings(app.state.settings)
    return await run_due(app.state.database, policy, day, register=register(app))


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


async def _wallet(app: FastAPI, user: LoggedIn) -> Address:
    async with UnitOfWork(app.state.database, write=False) as uow:
        wallets = await _chain(app).service(uow.session).find_custodial([uuid.UUID(user.user_id)])
    return Address(wallets[uuid.UUID(user.user_id)].address)


async def _agent(app: FastAPI, token: str, function: str, *args: Any) -> None:
    venue = _chain(app).venue
    operator = venue.require_contracts().operator
    await venue.chain.send(Call("BondToken", Address(token), function, args), sender=operator)


async def _trade(
    client: httpx.AsyncClient, market: Market, seller: LoggedIn, buyer: LoggedIn, units: int
) -> str:
    """The seller sells `units` to the buyer at 100; the trade's id."""
    assert (await order(client, seller, market, "sell", "100", units)).status_code == 201
    bid = await order(client, buyer, market, "buy", "100", units)
    assert bid.json()["status"] == "filled", bid.text
    fills = (await client.get("/api/v1/trades", headers=buyer.headers)).json()["items"]
    return str(next(f["id"] for f in fills if f["order_id"] == bid.json()["id"]))


async def _tokenized_coupon(
    client: httpx.AsyncClient, app: FastAPI, due: date
) -> tuple[Market, dict[str, Any], LoggedIn, LoggedIn, dict[str, Any]]:
    """A tokenized bond (Alice holds 1,000 units, Bob 500) and its coupon due on `due`."""
    market = await corporate_bond(client, app, due)
    alice, bob = await verified_investor(client), await verified_investor(client)
    await fund_units(app, market, alice, 1_000)
    await fund_units(app, market, bob, 500)
    tokenized = await client.post(
        f"/api/v1/instruments/{market.id}/tokenize", headers=market.admin.headers
    )
    assert tokenized.status_code == 201, tokenized.text
    await _run(app, today())  # announces the coupon
    [coupon] = [a for a in await actions(client, market) if a["due_date"] == due.isoformat()]
    return market, tokenized.json(), alice, bob, coupon


def _record_date(coupon: dict[str, Any]) -> date:
    return date.fromisoformat(coupon["record_date"])


def _owed(body: dict[str, Any]) -> dict[str, int]:
    return {e["user_id"]: e["units"] for e in body["entitlements"]}


async def test_a_tokenized_bonds_coupon_is_entitled_from_the_chain_and_paid(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market, token, alice, bob, coupon = await _tokenized_coupon(
        client, app, today() + timedelta(days=30)
    )
    carol = await verified_investor(client)
    await fund_cash(app, carol, 1_00_000_00)
    await _trade(client, market, alice, carol, 200)
    assert (await settle_due(_chain(app))).settled == 1  # delivered on chain
    await _trade(client, market, bob, carol, 100)  # its token leg is still to go

    the_day_after = _record_date(coupon) + timedelta(days=1)
    assert await _run(app, the_day_after) == 0  # the history is not indexed that far yet
    assert (await detail(client, market.admin, coupon["id"]))["status"] == "scheduled"

    await index_transfers(_chain(app))
    assert await _run(app, the_day_after) == 1
    entitled = await detail(client, market.admin, coupon["id"])
    assert entitled["status"] == "entitled"
    assert _owed(entitled) == {alice.user_id: 800, bob.user_id: 400, carol.user_id: 300}
    latest = await _chain(app).venue.chain.block_number()
    assert entitled["status_reason"] == (
        f"Cross-checked with token {token['address']} on the embedded chain at block {latest}: "
        "the registers agree."
    )
    [(what, facts)] = await _audit(app, coupon["id"])
    assert what == "corporate_action.register_checked"
    assert (facts["block"], facts["verified"], facts["holders"]) == (latest, True, 3)
    assert facts["differences"] == facts["inconsistencies"] == []

    await fund_cash(app, market.issuer, 1_500 * COUPON)
    assert await _run(app, date.fromisoformat(coupon["payment_date"])) == 1
    paid = await detail(client, market.admin, coupon["id"])
    assert paid["status"] == "paid" and len(paid["payments"]) == 3
    assert await cash(app, market.issuer) == 0


async def test_a_tampered_chain_holds_the_coupon_with_the_break_recorded(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market, token, alice, bob, coupon = await _tokenized_coupon(
        client, app, today() + timedelta(days=30)
    )
    # The agent moves units the ledger knows nothing about.
    await _agent(
        app,
        token["address"],
        "forcedTransfer",
        await _wallet(app, alice),
        await _wallet(app, bob),
        10,
    )
    await index_transfers(_chain(app))
    assert await _run(app, _record_date(coupon) + timedelta(days=1)) == 1

    held = await detail(client, market.admin, coupon["id"])
    assert (held["status"], held["entitlements"], held["holders"]) == ("held", [], None)
    assert held["status_reason"].startswith(
        f"The ledger and token {token['address']} on the embedded chain at block "
    )
    assert "disagree (2 holders differ, 0 inconsistencies" in held["status_reason"]
    [(what, facts)] = await _audit(app, coupon["id"])
    assert what == "corporate_action.register_break"
    assert {(d["holder"], d["ledger"], d["register"]) for d in facts["differences"]} == {
        (alice.user_id, 1_000, 990),
        (bob.user_id, 500, 510),
    }
    payment = date.fromisoformat(coupon["payment_date"])
    await fund_cash(app, market.issuer, 1_500 * COUPON)
    assert await _run(app, payment) == 0  # nobody is paid on either register's word
    assert (await detail(client, market.admin, coupon["id"]))["status"] == "held"
    assert await cash(app, alice) == await cash(app, bob) == 0

    # Operations find the chain right: the ledger is corrected, and the event run again.
    async with UnitOfWork(app.state.database) as uow:
        await LedgerService(uow.session).move(
            "transfer",
            "Correction: the agent's forced transfer",
            source=_units(market, alice),
            destination=_units(market, bob),
            amount=10,
        )
        await uow.commit()
    async with UnitOfWork(app.state.database) as uow:
        service = CorporateActionService(uow.session, register(app))
        await service.run(
            uuid.UUID(coupon["id"]), payment, VENUE, Policy.from_settings(app.state.settings)
        )
        await uow.commit()
    paid = await detail(client, market.admin, coupon["id"])
    assert paid["status"] == "paid"
    assert _owed(paid) == {alice.user_id: 990, bob.user_id: 510}
    assert [what for what, _ in await _audit(app, coupon["id"])] == [
        "corporate_action.register_break",
        "corporate_action.register_checked",
    ]


def _units(market: Market, user: LoggedIn) -> AccountKey:
    return AccountKey(Owner.user(uuid.UUID(user.user_id)), market.isin, Bucket.AVAILABLE)


async def test_a_bond_tokenized_after_the_record_date_is_entitled_from_the_ledger_unchecked(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    # Due in 14 days: the record date (15 days before, or the business day before) has passed.
    market, token, alice, bob, coupon = await _tokenized_coupon(
        client, app, today() + timedelta(days=14)
    )
    entitled = await detail(client, market.admin, coupon["id"])  # the announcing run entitled it
    assert entitled["status"] == "entitled"
    assert _owed(entitled) == {alice.user_id: 1_000, bob.user_id: 500}
    assert entitled["status_reason"] == (
        f"Not cross-checked with token {token['address']} on the embedded chain: the token was "
        "deployed after the record date closed"
    )
    [(what, facts)] = await _audit(app, coupon["id"])
    assert (what, facts["block"], facts["verified"]) == (
        "corporate_action.register_checked",
        None,
        False,
    )


class NoHistoricalState:
    """The chain as a pruned node serves it: no state before the latest block."""

    def __init__(self, chain: Chain) -> None:
        self._chain = chain

    def __getattr__(self, name: str) -> Any:
        return getattr(self._chain, name)

    async def read(self, call: Call, *, block: int | None = None) -> Any:
        if block is not None:
            raise Web3RPCError("missing trie node")
        return await self._chain.read(call)


async def test_where_the_node_lost_the_state_the_register_is_not_cross_checked(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market, token, alice, bob, coupon = await _tokenized_coupon(
        client, app, today() + timedelta(days=30)
    )
    await index_transfers(_chain(app))
    _chain(app).venue.chain = NoHistoricalState(_chain(app).venue.chain)  # type: ignore[assignment]
    assert await _run(app, _record_date(coupon) + timedelta(days=1)) == 1
    entitled = await detail(client, market.admin, coupon["id"])
    assert entitled["status"] == "entitled"
    assert _owed(entitled) == {alice.user_id: 1_000, bob.user_id: 500}
    assert entitled["status_reason"].startswith(
        f"Agrees with token {token['address']} on the embedded chain at block "
    )
    assert "not cross-checked with the chain's state" in entitled["status_reason"]
    assert "missing trie node" in entitled["status_reason"]
    [(_, facts)] = await _audit(app, coupon["id"])
    assert facts["verified"] is False


async def test_the_chains_register_is_brought_to_the_ledgers_terms(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    """In-flight token legs, legs delivered after the record block and trades settling after
    the record date count as the ledger counts them, whatever the record block."""
    market, _, alice, bob, _ = await _tokenized_coupon(client, app, today() + timedelta(days=30))
    carol = await verified_investor(client)
    await fund_cash(app, carol, 1_00_000_00)
    delivered = await _trade(client, market, alice, carol, 200)
    await settle_due(_chain(app))
    await _trade(client, market, bob, carol, 100)
    await index_transfers(_chain(app))
    settlement = await client.get(f"/api/v1/trades/{delivered}/settlement", headers=carol.headers)
    block = settlement.json()["block"]
    adapter = _chain(app).venue.chain
    delivery_mined = datetime.fromtimestamp(await adapter.block_timestamp(block), UTC)
    later = datetime.now(UTC) + timedelta(days=1)
    settles = settles_today()
    cases = [
        (settles, later, await adapter.block_number()),  # both trades are cum
        (settles, delivery_mined, block - 1),  # read before the first was delivered
        (settles - timedelta(days=1), later, await adapter.block_number()),  # both ex
    ]
    instrument_id = uuid.UUID(market.id)
    async with UnitOfWork(app.state.database, write=False) as uow:
        chain_register = ChainRegister(_chain(app))
        for record_date, close, record_block in cases:
            read = await chain_register.at_close(uow.session, instrument_id, record_date, close)
            assert read is not None and read.verified and not read.inconsistencies
            assert read.block == record_block and read.unattributed == {}
            ledger = dict(await LedgerService(uow.session).holders(market.isin))
            for user, units in (
                await units_settling_after(uow.session, instrument_id, record_date)
            ).items():
                ledger[user] = ledger.get(user, 0) - units
            assert {u: n for u, n in read.held.items() if n} == {
                u: n for u, n in ledger.items() if n
            }
        ex = dict(read.held)
    assert (ex[uuid.UUID(alice.user_id)], ex[uuid.UUID(bob.user_id)]) == (1_000, 500)
    assert ex.get(uuid.UUID(carol.user_id), 0) == 0

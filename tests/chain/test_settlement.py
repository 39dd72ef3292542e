"""Trades in a tokenized bond settle their token leg on chain, in DvP batches, exactly once,
whatever the chain drops, repeats or reverts; reconciliation finds an injected break and sees
it resolved. Every test runs on the embedded chain and on anvil, on both databases; the
ledger is verified after every test (conftest)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update

from liquibond.app import create_app
from liquibond.chain.lifecycle import MAX_ATTEMPTS
from liquibond.chain.models import ChainSettlement
from liquibond.chain.port import Address, Call, Chain, ChainUnavailable, Receipt
from liquibond.chain.service import ChainComponents
from liquibond.chain.settlement import reconcile, settle_due
from liquibond.config import Settings
from liquibond.platform.uow import UnitOfWork
from tests.chain.conftest import anvil_binary
from tests.chain.test_tokenization import _client, _wallet
from tests.conftest import FAST_PASSWORDS, make_settings, started
from tests.helpers import LoggedIn, assert_problem
from tests.payments.conftest import verified_investor
from tests.trading.conftest import Market, balances, fund_cash, fund_units, list_bond, order

INR = "INR"
ZERO_ADDRESS = "0x" + "00" * 20


@pytest.fixture(params=["embedded", "anvil"])
def chain_kind(request: pytest.FixtureRequest) -> str:
    """Which chain the venue runs on (anvil: skipped locally, required in CI)."""
    if request.param == "anvil":
        anvil_binary()
    return str(request.param)


@pytest.fixture
def settlement_mode() -> str:
    """Hybrid settlement (the default) unless a test parametrizes it."""
    return "hybrid"


@pytest.fixture
def settings(database_url: str, tmp_path: Path, chain_kind: str, settlement_mode: str) -> Settings:
    """The chain with its settlement and reconciliation jobs off: tests run them."""
    return make_settings(
        database_url,
        tmp_path,
        chain=chain_kind,
        chain_settlement_mode=settlement_mode,
        chain_interval_seconds=0.05,
        chain_settlement_interval_seconds=0,
        chain_reconcile_interval_seconds=0,
    )


class Faulty:
    """The chain, with faults to inject into what the venue sends."""

    def __init__(self, chain: Chain) -> None:
        self._chain = chain
        self.drop_confirmations = 0  # sends that reach the chain but whose answer is lost

    def __getattr__(self, name: str) -> Any:
        return getattr(self._chain, name)

    async def send(self, call: Call, *, sender: Address) -> Receipt:
        """Send; if a drop is armed, the transaction is mined but the answer never comes."""
        receipt = await self._chain.send(call, sender=sender)
        if self.drop_confirmations and call.function.startswith("settle"):
            self.drop_confirmations -= 1
            raise ChainUnavailable("the node went away before answering")
        return receipt


def _chain(app: FastAPI) -> ChainComponents:
    chain: ChainComponents = app.state.chain
    return chain


async def _tokens(app: FastAPI, token: str, wallet: object) -> int:
    return await _chain(app).venue.balance_of(Address(token), Address(str(wallet)))


async def _traded_bond(
    client: httpx.AsyncClient, app: FastAPI
) -> tuple[Market, dict[str, Any], LoggedIn, LoggedIn]:
    """A tokenized bond whose seller holds 1,000 units and whose buyer has cash for them."""
    market = await list_bond(client, app)
    seller, buyer = await verified_investor(client), await verified_investor(client)
    await fund_units(app, market, seller, 1_000)
    await fund_cash(app, buyer, 2_00_000_00)
    tokenized = await client.post(
        f"/api/v1/instruments/{market.id}/tokenize", headers=market.admin.headers
    )
    assert tokenized.status_code == 201, tokenized.text
    return market, tokenized.json(), seller, buyer


async def _trade(
    client: httpx.AsyncClient, market: Market, seller: LoggedIn, buyer: LoggedIn, units: int
) -> str:
    """One trade of `units` at 100.00; its id."""
    sold = await order(client, seller, market, "sell", "100.00", units)
    assert sold.status_code == 201, sold.text
    bought = await order(client, buyer, market, "buy", "100.00", units)
    assert bought.status_code == 201, bought.text
    trades = (await client.get("/api/v1/trades", headers=buyer.headers)).json()["items"]
    return str(trades[0]["id"])


async def _my_trade(client: httpx.AsyncClient, user: LoggedIn, trade_id: str) -> dict[str, Any]:
    trades = (await client.get("/api/v1/trades", headers=user.headers)).json()["items"]
    return next(dict(t) for t in trades if t["id"] == trade_id)


async def _settlement(client: httpx.AsyncClient, user: LoggedIn, trade_id: str) -> dict[str, Any]:
    answer = await client.get(f"/api/v1/trades/{trade_id}/settlement", headers=user.headers)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


async def test_a_trade_settles_its_token_leg_on_chain(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market, token, seller, buyer = await _traded_bond(client, app)
    trades = [await _trade(client, market, seller, buyer, units) for units in (100, 200, 300)]
    report = await settle_due(_chain(app))
    assert (report.instructed, report.settled, report.failed) == (3, 3, 0)
    views = [await _settlement(client, seller, trade) for trade in trades]
    assert {(v["status"], v["attempts"]) for v in views} == {("settled", 1)}
    stranger = await verified_investor(client)
    answer = await client.get(f"/api/v1/trades/{trades[0]}/settlement", headers=stranger.headers)
    assert_problem(answer, 404, "settlement.not_found")
    assert len({v["tx_hash"] for v in views}) == 1  # one DvP batch carried all three
    seller_wallet = (await _wallet(client, seller))["address"]
    buyer_wallet = (await _wallet(client, buyer))["address"]
    assert await _tokens(app, token["address"], seller_wallet) == 400
    assert await _tokens(app, token["address"], buyer_wallet) == 600
    assert await reconcile(_chain(app)) == []
    assert await settle_due(_chain(app)) == type(report)()  # nothing left to do
    metrics = (await client.get("/metrics")).text
    assert "liquibond_chain_settled_trades_total 3.0" in metrics
    assert "liquibond_chain_breaks 0.0" in metrics


async def test_a_lost_confirmation_is_found_on_chain_and_never_settles_twice(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market, token, seller, buyer = await _traded_bond(client, app)
    trade = await _trade(client, market, seller, buyer, 200)
    await settle_due(_chain(app))  # instructs; the instruction is settled at once
    faulty = Faulty(_chain(app).venue.chain)
    _chain(app).venue.chain = faulty  # type: ignore[assignment]

    second = await _trade(client, market, seller, buyer, 100)
    faulty.drop_confirmations = 1
    with pytest.raises(ChainUnavailable):
        await settle_due(_chain(app))
    assert (await _settlement(client, buyer, second))["status"] == "submitted"

    # The same confirmation again: the instruction is put back as if it never settled, so the
    # next run sends it again; the DvP refuses the spent id and the chain says it settled.
    report = await settle_due(_chain(app))
    found = await _settlement(client, buyer, second)
    assert report.settled == 1 and found["status"] == "settled"
    assert found["tx_hash"] is not None  # read back from the DvP's Settled event
    async with UnitOfWork(app.state.database) as uow:
        await uow.session.execute(
            update(ChainSettlement)
            .values(status="pending")
            .where(ChainSettlement.trade_id == uuid.UUID(trade))
        )
        await uow.commit()
    report = await settle_due(_chain(app))
    assert (report.settled, report.failed) == (1, 0)
    buyer_wallet = (await _wallet(client, buyer))["address"]
    assert await _tokens(app, token["address"], buyer_wallet) == 300  # 200 + 100, once each
    assert await reconcile(_chain(app)) == []


async def test_a_reverting_trade_fails_into_the_breaks_queue_and_the_others_settle(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market, token, seller, buyer = await _traded_bond(client, app)
    other_seller = await verified_investor(client)
    await fund_units(app, market, other_seller, 500)
    await settle_due(_chain(app))  # lists the new holder's wallet
    await _tokens(app, token["address"], (await _wallet(client, other_seller))["address"])
    # The second seller's wallet holds no tokens yet (funded in the ledger after tokenizing):
    # its token leg reverts however often it is tried.
    stuck = await _trade(client, market, other_seller, buyer, 100)
    fine = await _trade(client, market, seller, buyer, 100)

    before = await balances(client, buyer)
    for attempt in range(1, MAX_ATTEMPTS + 1):
        report = await settle_due(_chain(app))
        view = await _settlement(client, buyer, stuck)
        assert view["attempts"] == attempt and "insufficient" in view["last_error"]
    # Out of tries, it is unwound: the buyer gets back what it paid for the stuck trade,
    # the seller its units; the seller's proceeds, which waited, are gone with it.
    assert view["status"] == "unwound"
    assert (await _settlement(client, buyer, fine))["status"] == "settled"
    assert report.failed == 1
    stuck_trade = await _my_trade(client, buyer, stuck)
    after = await balances(client, buyer)
    assert after[(INR, "available")] - before[(INR, "available")] == (
        stuck_trade["dirty_amount"] + stuck_trade["fee"]
    )
    assert after[(market.isin, "available")] == 100  # the fine trade's units only
    assert (await balances(client, other_seller))[(market.isin, "available")] == 500
    assert (await balances(client, other_seller)).get((INR, "settling"), 0) == 0

    breaks = (await client.get("/api/v1/chain/breaks", headers=market.admin.headers)).json()
    assert [(s["trade_id"], s["status"]) for s in breaks["failed_settlements"]] == [
        (stuck, "unwound")
    ]
    # Units the ledger moved from the issuer outside the chain: two reconciliation breaks.
    differences = await reconcile(_chain(app))
    issued = int(market.bond["issue_size_units"]) - 1_000
    assert sorted((d.ledger_units, d.chain_units) for d in differences) == [
        (500, 0),
        (issued - 500, issued),
    ]
    metrics = (await client.get("/metrics")).text
    assert "liquibond_chain_failed_settlements_total 1.0" in metrics
    assert "liquibond_chain_breaks 2.0" in metrics

    # Unwound is final: there is nothing left to retry or unwind.
    for verb in ("retry", "unwind"):
        again = await client.post(
            f"/api/v1/chain/settlements/{stuck}/{verb}", headers=market.admin.headers
        )
        assert_problem(again, 409, "chain.settlement_state")


async def test_a_sellers_proceeds_wait_for_the_chain_to_deliver(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market, _, seller, buyer = await _traded_bond(client, app)
    before = await balances(client, seller)
    trade_id = await _trade(client, market, seller, buyer, 100)
    sold = await _my_trade(client, seller, trade_id)
    proceeds = sold["dirty_amount"] - sold["fee"]
    assert sold["settles_on_chain"] is True
    waiting = await balances(client, seller)
    assert waiting[(INR, "settling")] == proceeds
    assert waiting.get((INR, "available"), 0) == before.get((INR, "available"), 0)
    assert (await balances(client, buyer))[(market.isin, "available")] == 100

    await settle_due(_chain(app))
    paid = await balances(client, seller)
    assert paid[(INR, "settling")] == 0
    assert paid[(INR, "available")] == before.get((INR, "available"), 0) + proceeds
    # A confirmation repeated pays nobody twice (the ledger is verified after the test).
    async with UnitOfWork(app.state.database) as uow:
        await uow.session.execute(
            update(ChainSettlement)
            .values(status="pending")
            .where(ChainSettlement.trade_id == uuid.UUID(trade_id))
        )
        await uow.commit()
    await settle_due(_chain(app))
    assert await balances(client, seller) == paid


async def test_a_failed_trade_whose_units_were_sold_on_waits_for_operations_to_unwind(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market, _, _, buyer = await _traded_bond(client, app)
    stuck_seller = await verified_investor(client)
    await fund_units(app, market, stuck_seller, 100)  # in the ledger only: the chain refuses
    await settle_due(_chain(app))
    stuck = await _trade(client, market, stuck_seller, buyer, 100)
    # The buyer offers the units on: locked in its order, they cannot be given back.
    offered = await order(client, buyer, market, "sell", "101.00", 100)
    assert offered.status_code == 201, offered.text
    for _ in range(MAX_ATTEMPTS):
        await settle_due(_chain(app))
    view = await _settlement(client, buyer, stuck)
    assert view["status"] == "failed" and "not unwound" in view["last_error"]
    assert (await balances(client, stuck_seller))[(INR, "settling")] > 0  # still waiting
    unwind = f"/api/v1/chain/settlements/{stuck}/unwind"
    assert_problem(await client.post(unwind, headers=buyer.headers), 403, "auth.forbidden_role")
    assert_problem(
        await client.post(unwind, headers=market.admin.headers), 422, "chain.unwind_blocked"
    )

    cancelled = await client.delete(f"/api/v1/orders/{offered.json()['id']}", headers=buyer.headers)
    assert cancelled.status_code == 200, cancelled.text
    unwound = await client.post(unwind, headers=market.admin.headers)
    assert unwound.status_code == 200, unwound.text
    assert unwound.json()["status"] == "unwound"
    assert (await balances(client, stuck_seller))[(market.isin, "available")] == 100
    assert (await balances(client, stuck_seller))[(INR, "settling")] == 0


async def test_reconciliation_finds_an_injected_break_and_sees_it_resolved(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market, token, seller, _ = await _traded_bond(client, app)
    chain = _chain(app)
    wallet = Address(str((await _wallet(client, seller))["address"]))
    operator = chain.venue.require_contracts().operator
    await chain.venue.chain.send(
        Call("BondToken", Address(token["address"]), "mint", (wallet, 7)), sender=operator
    )

    found = await client.post("/api/v1/chain/reconcile", headers=market.admin.headers)
    assert found.status_code == 200, found.text
    assert [(b["wallet"], b["ledger_units"], b["chain_units"]) for b in found.json()] == [
        (wallet, 1_000, 1_007)
    ]
    assert_problem(
        await client.post("/api/v1/chain/reconcile", headers=seller.headers),
        403,
        "auth.forbidden_role",
    )

    await chain.venue.chain.send(
        Call("BondToken", Address(token["address"]), "burn", (wallet, 7)), sender=operator
    )
    assert (await client.post("/api/v1/chain/reconcile", headers=market.admin.headers)).json() == []


async def test_a_restart_keeps_the_chain_in_step_with_the_ledger(
    settings: Settings, chain_kind: str
) -> None:
    """The embedded chain is rebuilt from the ledger (what was settling is reissued); anvil
    keeps its state, and what was settling settles."""
    first_app = create_app(settings, passwords=FAST_PASSWORDS)
    async with started(first_app), _client(first_app) as client:
        market, _, seller, buyer = await _traded_bond(client, first_app)
        trade = await _trade(client, market, seller, buyer, 300)
        await settle_due(_chain(first_app))  # instructed and settled
        unsettled = await _trade(client, market, seller, buyer, 200)

    second_app = create_app(settings, passwords=FAST_PASSWORDS)
    async with started(second_app), _client(second_app) as client:
        token = (await client.get(f"/api/v1/instruments/{market.id}/token")).json()
        buyer_wallet = (await _wallet(client, buyer))["address"]
        rebuilt = chain_kind == "embedded"
        assert await _tokens(second_app, token["address"], buyer_wallet) == (
            500 if rebuilt else 300
        )
        assert (await settle_due(_chain(second_app))).settled == (0 if rebuilt else 1)
        assert await _tokens(second_app, token["address"], buyer_wallet) == 500
        assert (await _settlement(client, buyer, trade))["status"] == "settled"
        covered = await _settlement(client, buyer, unsettled)
        assert covered["status"] == "settled"
        assert (covered["tx_hash"] is None) == rebuilt  # reissued, or settled on chain
        assert await reconcile(_chain(second_app)) == []


async def test_a_netted_batch_settles_many_trades_in_one_delivery_and_survives_a_lost_answer(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market, token, seller, buyer = await _traded_bond(client, app)
    first = await _trade(client, market, seller, buyer, 100)
    faulty = Faulty(_chain(app).venue.chain)
    _chain(app).venue.chain = faulty  # type: ignore[assignment]
    faulty.drop_confirmations = 1
    with pytest.raises(ChainUnavailable):
        await settle_due(_chain(app))  # one trade: settled on its own, answer lost
    trades = [await _trade(client, market, seller, buyer, 100) for _ in range(4)]

    # The lost answer is found on chain (its trade id is spent); the four new trades net into
    # one delivery in one transaction, whose answer is lost too and found by its batch id.
    faulty.drop_confirmations = 1
    with pytest.raises(ChainUnavailable):
        await settle_due(_chain(app))
    views = [await _settlement(client, buyer, trade) for trade in trades]
    assert {v["status"] for v in views} == {"submitted"}
    assert (await _settlement(client, buyer, first))["status"] == "settled"

    report = await settle_due(_chain(app))
    assert (report.settled, report.retried, report.failed) == (4, 0, 0)
    views = [await _settlement(client, buyer, trade) for trade in trades]
    assert {(v["status"], v["attempts"]) for v in views} == {("settled", 1)}
    assert len({v["tx_hash"] for v in views}) == 1 and views[0]["tx_hash"] is not None
    buyer_wallet = (await _wallet(client, buyer))["address"]
    assert await _tokens(app, token["address"], buyer_wallet) == 500
    assert await reconcile(_chain(app)) == []


@pytest.mark.parametrize("settlement_mode", ["onchain"])
async def test_on_chain_mode_pays_for_the_bonds_in_the_same_transaction(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market, token, seller, buyer = await _traded_bond(client, app)
    stuck_seller = await verified_investor(client)
    await fund_units(app, market, stuck_seller, 100)  # in the ledger only: the chain refuses
    await settle_due(_chain(app))
    trades = [await _trade(client, market, seller, buyer, units) for units in (100, 200)]
    stuck = await _trade(client, market, stuck_seller, buyer, 100)
    before = await balances(client, seller)

    first_block = await _chain(app).venue.chain.block_number()
    report = await settle_due(_chain(app))
    assert report.settled == 2  # the batch reverted on the stuck trade; the others settled
    dvp = _chain(app).venue.require_contracts().dvp
    latest = await _chain(app).venue.chain.block_number()
    settled = [
        e for e in await _chain(app).venue.chain.events([dvp], first_block, latest)
        if e.name == "Settled"
    ]  # fmt: skip
    paid = {str(e.args["settlementId"]): int(e.args["cashAmount"]) for e in settled}
    for trade_id in trades:
        view = await _my_trade(client, buyer, trade_id)
        assert paid["0x" + uuid.UUID(trade_id).bytes.rjust(32, b"\0").hex()] == view["dirty_amount"]
    cash = {str(e.args["cash"]) for e in settled}
    assert len(cash) == 1 and cash != {ZERO_ADDRESS}
    # The seller is paid in the ledger; no wallet keeps any cash token after the run.
    proceeds = sum(
        t["dirty_amount"] - t["fee"] for t in [await _my_trade(client, seller, i) for i in trades]
    )
    assert (await balances(client, seller))[(INR, "available")] == (
        before.get((INR, "available"), 0) + proceeds
    )
    wallets = [(await _wallet(client, user))["address"] for user in (seller, buyer, stuck_seller)]
    [cash_token] = cash
    for wallet in wallets:
        held = await _chain(app).venue.chain.read(
            Call("CashToken", Address(cash_token), "balanceOf", (Address(str(wallet)),))
        )
        assert held == 0

    for _ in range(MAX_ATTEMPTS - 1):
        await settle_due(_chain(app))
    assert (await _settlement(client, buyer, stuck))["status"] == "unwound"
    assert await _tokens(app, token["address"], wallets[1]) == 300


async def test_a_netted_batch_that_reverts_is_halved_until_the_bad_trade_is_alone(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market, _, seller, buyer = await _traded_bond(client, app)
    stuck_seller = await verified_investor(client)
    await fund_units(app, market, stuck_seller, 100)  # in the ledger only: the chain refuses
    await settle_due(_chain(app))
    fine = [await _trade(client, market, seller, buyer, 100) for _ in range(7)]
    stuck = await _trade(client, market, stuck_seller, buyer, 100)
    sent = Sent(_chain(app).venue.chain)
    _chain(app).venue.chain = sent  # type: ignore[assignment]

    report = await settle_due(_chain(app))
    assert (report.settled, report.retried) == (7, 1)
    assert {(await _settlement(client, buyer, t))["status"] for t in fine} == {"settled"}
    assert (await _settlement(client, buyer, stuck))["status"] == "pending"
    # 8 trades: the batch, then halves of 4, 2 and 1 on the stuck side; never one per trade.
    assert sum(function.startswith("settle") for function in sent.functions) == 7


class Sent:
    """The chain, recording the functions the venue sends."""

    def __init__(self, chain: Chain) -> None:
        self._chain = chain
        self.functions: list[str] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._chain, name)

    async def send(self, call: Call, *, sender: Address) -> Receipt:
        self.functions.append(call.function)
        return await self._chain.send(call, sender=sender)


async def test_confirmations_found_out_of_order_settle_each_trade_once_with_its_own_transaction(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market, _, seller, buyer = await _traded_bond(client, app)
    trades = []
    for units in (100, 200):  # two runs: two transactions
        trades.append(await _trade(client, market, seller, buyer, units))
        await settle_due(_chain(app))
    sent = {t: (await _settlement(client, buyer, t))["tx_hash"] for t in trades}
    assert len(set(sent.values())) == 2
    paid = await balances(client, seller)

    # Both answers lost after all, and the chain's events come back newest first.
    async with UnitOfWork(app.state.database) as uow:
        await uow.session.execute(
            update(ChainSettlement)
            .values(status="submitted", tx_hash=None, block=None)
            .where(ChainSettlement.trade_id.in_([uuid.UUID(t) for t in trades]))
        )
        await uow.commit()
    _chain(app).venue.chain = Reversed(_chain(app).venue.chain)  # type: ignore[assignment]
    report = await settle_due(_chain(app))
    assert report.settled == 2
    assert {t: (await _settlement(client, buyer, t))["tx_hash"] for t in trades} == sent
    assert await balances(client, seller) == paid  # each seller paid once
    assert await reconcile(_chain(app)) == []


class Reversed:
    """The chain, answering event queries newest first."""

    def __init__(self, chain: Chain) -> None:
        self._chain = chain

    def __getattr__(self, name: str) -> Any:
        return getattr(self._chain, name)

    async def events(self, addresses: Any, from_block: int, to_block: int) -> list[Any]:
        return list(reversed(await self._chain.events(addresses, from_block, to_block)))

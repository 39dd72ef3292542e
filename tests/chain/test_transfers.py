"""The Transfer indexer: it follows every tokenized bond's token from its deployment mints, in
bounded spans from a saved cursor, stores each transfer once however often it reads it (or
crashes half-way), and its history sums to what `balanceOf` says for every wallet. On the
embedded chain and anvil, on both databases."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
import hypothesis
import pytest
from fastapi import FastAPI
from hypothesis import HealthCheck, given
from hypothesis import strategies as st
from sqlalchemy import func, select, update

from liquibond.chain.models import TokenTransfer, TransferCursor
from liquibond.chain.port import Address, Call, Chain, ChainError, ChainEvent
from liquibond.chain.register import holders_at
from liquibond.chain.service import ChainComponents
from liquibond.chain.settlement import settle_due
from liquibond.chain.transfers import index_transfers
from liquibond.config import Settings
from liquibond.platform.uow import UnitOfWork
from tests.chain.conftest import anvil_binary
from tests.conftest import make_settings
from tests.helpers import LoggedIn, assert_problem
from tests.payments.conftest import verified_investor
from tests.trading.conftest import Market, fund_cash, fund_units, list_bond, order
from tests.valuation.helpers import isin


@pytest.fixture(params=["embedded", "anvil"])
def chain_kind(request: pytest.FixtureRequest) -> str:
    """Which chain the venue runs on (anvil: skipped locally, required in CI)."""
    if request.param == "anvil":
        anvil_binary()
    return str(request.param)


@pytest.fixture
def settings(database_url: str, tmp_path: Path, chain_kind: str) -> Settings:
    """The venue on the chain, its jobs off: the tests run the indexer (and settlement)."""
    return make_settings(
        database_url,
        tmp_path,
        chain=chain_kind,
        chain_interval_seconds=0,
        chain_settlement_interval_seconds=0,
        chain_reconcile_interval_seconds=0,
    )


class Spy:
    """The chain, recording the event queries the indexer makes; it can fail the next
    `block_timestamp` calls (after the events were read, before anything is stored)."""

    def __init__(self, chain: Chain) -> None:
        self._chain = chain
        self.spans: list[tuple[tuple[str, ...], int, int]] = []
        self.fail_timestamps = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._chain, name)

    async def events(
        self, addresses: Sequence[Address], from_block: int, to_block: int
    ) -> list[ChainEvent]:
        self.spans.append((tuple(addresses), from_block, to_block))
        return await self._chain.events(addresses, from_block, to_block)

    async def block_timestamp(self, number: int) -> int:
        if self.fail_timestamps:
            self.fail_timestamps -= 1
            raise ChainError("the node went away")
        return await self._chain.block_timestamp(number)


def _chain(app: FastAPI) -> ChainComponents:
    chain: ChainComponents = app.state.chain
    return chain


def _spy(app: FastAPI) -> Spy:
    spy = Spy(_chain(app).venue.chain)
    _chain(app).venue.chain = spy  # type: ignore[assignment]
    return spy


async def _tokenized(
    client: httpx.AsyncClient, app: FastAPI, holdings: Sequence[int] = (300, 200), **terms: Any
) -> tuple[Market, dict[str, Any], list[LoggedIn]]:
    """A tokenized bond whose holders got `holdings` (minted at its deployment)."""
    market = await list_bond(client, app, **terms)
    holders = [await verified_investor(client) for _ in holdings]
    for holder, units in zip(holders, holdings, strict=True):
        await fund_units(app, market, holder, units)
    tokenized = await client.post(
        f"/api/v1/instruments/{market.id}/tokenize", headers=market.admin.headers
    )
    assert tokenized.status_code == 201, tokenized.text
    return market, tokenized.json(), holders


async def _wallet(app: FastAPI, user: LoggedIn) -> Address:
    async with UnitOfWork(app.state.database, write=False) as uow:
        wallets = await _chain(app).service(uow.session).find_custodial([uuid.UUID(user.user_id)])
    return Address(wallets[uuid.UUID(user.user_id)].address)


async def _agent(app: FastAPI, token: str, function: str, *args: Any) -> None:
    """A call of the platform's agent on the token (mint, burn, forcedTransfer)."""
    venue = _chain(app).venue
    operator = venue.require_contracts().operator
    await venue.chain.send(Call("BondToken", Address(token), function, args), sender=operator)


async def _rows(app: FastAPI) -> int:
    async with UnitOfWork(app.state.database, write=False) as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(TokenTransfer)) or 0)


async def _history(app: FastAPI, market: Market, block: int | None = None) -> dict[str, int]:
    """Each wallet's units at `block` (default: the latest) by the indexed history, having
    checked every one of them with `balanceOf` at that block."""
    chain = _chain(app)
    at = await chain.venue.chain.block_number() if block is None else block
    async with UnitOfWork(app.state.database, write=False) as uow:
        token = await chain.service(uow.session).token(uuid.UUID(market.id))
        assert token is not None
        register = await holders_at(chain, uow.session, token, at)
    assert register.verified and register.mismatches == [], register
    return {holding.wallet: holding.units for holding in register.holdings}


async def _pages(client: httpx.AsyncClient, market: Market, who: LoggedIn) -> list[dict[str, Any]]:
    """Every indexed transfer of the bond, three to a page."""
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        params = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        page = await client.get(
            f"/api/v1/instruments/{market.id}/token/transfers", params=params, headers=who.headers
        )
        assert page.status_code == 200, page.text
        items += page.json()["items"]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return items


async def test_every_transfer_is_indexed_once_from_the_deployment_mints(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market, token, (first, second) = await _tokenized(client, app)
    await fund_cash(app, second, 1_00_000_00)
    assert (await order(client, first, market, "sell", "100.00", 100)).status_code == 201
    assert (await order(client, second, market, "buy", "100.00", 100)).status_code == 201
    assert (await settle_due(_chain(app))).settled == 1  # a DvP delivery
    a, b = await _wallet(app, first), await _wallet(app, second)
    issuer = await _wallet(app, market.issuer)
    await _agent(app, token["address"], "forcedTransfer", b, a, 50)
    await _agent(app, token["address"], "mint", a, 7)
    await _agent(app, token["address"], "burn", b, 5)

    assert await index_transfers(_chain(app)) == 7  # three mints, the trade, then the agent's
    issued = int(market.bond["issue_size_units"])
    expected = {a: 300 - 100 + 50 + 7, b: 200 + 100 - 50 - 5, issuer: issued - 500}
    assert await _history(app, market) == expected

    items = await _pages(client, market, market.issuer)
    assert [(i["kind"], i["amount"]) for i in items[:3]] == [
        ("burn", 5),
        ("mint", 7),
        ("transfer", 50),
    ]
    assert [i["kind"] for i in items[3:]] == ["transfer", "mint", "mint", "mint"]
    positions = [(i["block"], i["log_index"]) for i in items]
    assert positions == sorted(set(positions), reverse=True)  # newest first, each once
    assert items[3]["sender_user_id"] == first.user_id
    assert items[3]["receiver_user_id"] == second.user_id
    assert items[0]["receiver"] == "0x" + "00" * 20 and items[0]["receiver_user_id"] is None
    assert all(i["block"] >= token["deploy_block"] for i in items)

    # Again, and again after its cursor went back to before the deployment: nothing twice.
    assert await index_transfers(_chain(app)) == 0
    async with UnitOfWork(app.state.database) as uow:
        await uow.session.execute(update(TransferCursor).values(block=token["deploy_block"] - 1))
        await uow.commit()
    assert await index_transfers(_chain(app)) == 0
    assert await _rows(app) == 7
    assert await _history(app, market) == expected
    assert "liquibond_chain_transfer_lag_blocks 0.0" in (await client.get("/metrics")).text


async def test_a_bonds_transfers_are_for_its_issuer_admins_and_compliance(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market, _, (holder, _) = await _tokenized(client, app)
    await index_transfers(_chain(app))
    path = f"/api/v1/instruments/{market.id}/token/transfers"
    for who in (market.issuer, market.admin):
        answer = await client.get(path, headers=who.headers)
        assert answer.status_code == 200 and len(answer.json()["items"]) == 3, answer.text
    assert_problem(await client.get(path, headers=holder.headers), 403, "chain.not_issuer")
    other = await list_bond(client, app, isin=isin("IN002023X01"))
    assert_problem(await client.get(path, headers=other.issuer.headers), 403, "chain.not_issuer")
    assert_problem(
        await client.get(
            f"/api/v1/instruments/{other.id}/token/transfers", headers=other.admin.headers
        ),
        404,
        "token.not_found",
    )
    assert_problem(
        await client.get(
            f"/api/v1/instruments/{uuid.uuid4()}/token/transfers", headers=market.admin.headers
        ),
        404,
        "instrument.not_found",
    )
    assert (await client.get(path)).status_code == 401


async def test_a_crash_before_the_commit_stores_nothing_and_the_cursor_resumes(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market, token, (first, second) = await _tokenized(client, app)
    spy = _spy(app)
    spy.fail_timestamps = 1
    with pytest.raises(ChainError):
        await index_transfers(_chain(app))  # the events were read; nothing was stored
    assert await _rows(app) == 0
    async with UnitOfWork(app.state.database, write=False) as uow:
        assert await uow.session.scalar(select(func.count()).select_from(TransferCursor)) == 0

    assert await index_transfers(_chain(app)) == 3
    indexed_to = await spy.block_number()
    a, b = await _wallet(app, first), await _wallet(app, second)
    await _agent(app, token["address"], "forcedTransfer", a, b, 120)
    spy.spans.clear()
    assert await index_transfers(_chain(app)) == 1
    assert [start for _, start, _ in spy.spans] == [indexed_to + 1]  # from where it stopped
    spy.spans.clear()
    assert await index_transfers(_chain(app)) == 0
    assert spy.spans == []  # nothing new on chain: not even a query
    assert (await _history(app, market))[b] == 320


@pytest.mark.parametrize("chain_kind", ["embedded"], indirect=True)  # any chain would do
async def test_tokens_behind_catch_up_in_bounded_spans_then_are_read_together(
    client: httpx.AsyncClient, app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("liquibond.chain.transfers.MAX_EVENT_SPAN", 3)
    older, old_token, (holder, _) = await _tokenized(client, app)
    wallet = await _wallet(app, holder)
    for _ in range(4):  # blocks between the two deployments
        await _agent(app, old_token["address"], "mint", wallet, 1)
    newer, new_token, _ = await _tokenized(client, app, (10, 20), isin=isin("IN002023X01"))
    spy = _spy(app)

    assert await index_transfers(_chain(app)) == 3 + 4 + 3
    latest = await spy.block_number()
    assert all(end - start < 3 for _, start, end in spy.spans)
    # The older token alone up to the newer one's deployment, then both, block after block.
    covered = [block for addresses, start, end in spy.spans for block in range(start, end + 1)]
    assert covered == list(range(old_token["deploy_block"], latest + 1))
    for addresses, start, _ in spy.spans:
        both = start >= new_token["deploy_block"]
        assert set(addresses) == (
            {old_token["address"], new_token["address"]} if both else {old_token["address"]}
        )
    assert sum((await _history(app, older)).values()) == int(older.bond["issue_size_units"]) + 4
    assert sum((await _history(app, newer)).values()) == int(newer.bond["issue_size_units"])


@pytest.mark.parametrize("chain_kind", ["embedded"], indirect=True)
@hypothesis.settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    moves=st.lists(
        st.tuples(
            st.sampled_from(["mint", "burn", "forcedTransfer"]),
            st.integers(0, 2),
            st.integers(0, 2),
            st.integers(1, 400),
        ),
        max_size=6,
    )
)
async def test_the_history_sums_to_balance_of_for_every_wallet_at_every_block(
    client: httpx.AsyncClient, app: FastAPI, moves: list[tuple[str, int, int, int]]
) -> None:
    venue = _chain(app).venue
    if not hasattr(app.state, "bond_under_test"):  # the examples share one app and bond
        market, token, holders = await _tokenized(client, app)
        wallets = [await _wallet(app, user) for user in (*holders, market.issuer)]
        app.state.bond_under_test = market, Address(token["address"]), wallets
    market, token, wallets = app.state.bond_under_test
    before = await venue.chain.block_number()
    for function, i, j, units in moves:
        held = min(units, await venue.balance_of(token, wallets[i]))
        if function == "mint":
            await _agent(app, token, function, wallets[i], units)
        elif function == "burn" and held:
            await _agent(app, token, function, wallets[i], held)
        elif function == "forcedTransfer" and held and i != j:
            await _agent(app, token, function, wallets[i], wallets[j], held)
    await index_transfers(_chain(app))
    for block in (before, await venue.chain.block_number()):
        history = await _history(app, market, block)
        for wallet in wallets:
            assert history.get(wallet, 0) == await venue.balance_of(token, wallet, block)

"""KYC revocation on the embedded chain, on both databases: a revoked investor's wallets leave
the identity registry and are frozen on every token, exactly once however often the job runs
or wherever it crashed; a delivery to a frozen wallet reverts into the retry and breaks path;
an embedded chain rebuilt on start keeps them frozen and unlisted; re-verified, they are
listed and unfrozen again. The chain's jobs are off: the tests run them."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from liquibond.app import create_app
from liquibond.chain.identity import sync_freezes
from liquibond.chain.lifecycle import MAX_ATTEMPTS
from liquibond.chain.models import ChainSettlement, InvestorFreeze, Wallet
from liquibond.chain.port import Address, Call, ChainUnavailable, Receipt
from liquibond.chain.service import ChainComponents, register_pending
from liquibond.chain.settlement import reconcile, settle_due
from liquibond.config import Settings
from liquibond.platform.uow import UnitOfWork
from tests.conftest import FAST_PASSWORDS, make_settings, started
from tests.helpers import LoggedIn
from tests.kyc.helpers import VERIFIED_FULL, a_pan, eventually, form, make_reviewers, submit
from tests.trading.conftest import Market, fund_cash, fund_units, list_bond, order
from tests.trading.conftest import verified_investor as verified
from tests.valuation.helpers import isin


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """The embedded chain with its jobs off (tests run them) and the relay quick."""
    return make_settings(
        database_url,
        tmp_path,
        chain="embedded",
        chain_interval_seconds=0,
        chain_settlement_interval_seconds=0,
        chain_reconcile_interval_seconds=0,
    )


def chain_of(app: FastAPI) -> ChainComponents:
    chain: ChainComponents = app.state.chain
    return chain


def client_of(app: FastAPI) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://liquibond.test")


async def wallet_of(app: FastAPI, user: LoggedIn) -> Address:
    """The user's custodial wallet, once the verification consumer has made it."""

    async def probe() -> Address | None:
        async with UnitOfWork(app.state.database, write=False) as uow:
            wallets = await chain_of(app).service(uow.session).wallets(uuid.UUID(user.user_id))
        return Address(wallets[0].address) if wallets else None

    return await eventually(probe)


async def tokenized(client: httpx.AsyncClient, market: Market) -> Address:
    """Tokenize the bond (as its admin); the token's address."""
    answer = await client.post(
        f"/api/v1/instruments/{market.id}/tokenize", headers=market.admin.headers
    )
    assert answer.status_code == 201, answer.text
    return Address(answer.json()["address"])


async def revoke(client: httpx.AsyncClient, app: FastAPI, user: LoggedIn) -> LoggedIn:
    """Revoke the user's KYC over HTTP (by a new compliance officer, who is returned), and
    wait until the chain has recorded the revocation."""
    [reviewer] = await make_reviewers(app, client)
    application = (await client.get("/api/v1/kyc", headers=user.headers)).json()
    answer = await client.post(
        f"/api/v1/admin/kyc/{application['id']}/revoke",
        json={"reason": "Documents found forged."},
        headers=reviewer.headers,
    )
    assert answer.status_code == 200, answer.text
    await freeze_status(app, user, "freezing")
    return reviewer


async def freeze_status(app: FastAPI, user: LoggedIn, status: str) -> InvestorFreeze:
    """The user's freeze, once it is in `status`."""

    async def probe() -> InvestorFreeze | None:
        async with UnitOfWork(app.state.database, write=False) as uow:
            row = await uow.session.get(InvestorFreeze, uuid.UUID(user.user_id))
        return row if row is not None and row.status == status else None

    return await eventually(probe)


async def on_chain(app: FastAPI, token: Address, wallet: Address) -> tuple[bool, bool, int]:
    """Whether the registry lists the wallet, whether the token freezes it, and its units."""
    venue = chain_of(app).venue
    return (
        await venue.is_listed(wallet),
        await venue.is_frozen(token, wallet),
        await venue.balance_of(token, wallet),
    )


async def stored_wallet(app: FastAPI, address: Address) -> Wallet:
    async with UnitOfWork(app.state.database, write=False) as uow:
        return (await uow.session.scalars(select(Wallet).where(Wallet.address == address))).one()


class Recorded:
    """The chain, recording what the venue sends, and able to lose one answer."""

    def __init__(self, chain: Any) -> None:
        self._chain = chain
        self.sent: list[str] = []
        self.lose_answer_to: str | None = None  # a function whose next answer never comes

    def __getattr__(self, name: str) -> Any:
        return getattr(self._chain, name)

    async def send(self, call: Call, *, sender: Address) -> Receipt:
        receipt: Receipt = await self._chain.send(call, sender=sender)
        self.sent.append(call.function)
        if call.function == self.lose_answer_to:
            self.lose_answer_to = None
            raise ChainUnavailable("the node went away before answering")
        return receipt


async def test_a_revoked_investors_wallet_is_delisted_and_frozen_until_verified_again(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market = await list_bond(client, app)
    investor = await verified(client)
    await fund_units(app, market, investor, 300)
    token = await tokenized(client, market)
    wallet = await wallet_of(app, investor)
    assert await on_chain(app, token, wallet) == (True, False, 300)

    await revoke(client, app, investor)
    assert await sync_freezes(chain_of(app)) == 1
    assert await on_chain(app, token, wallet) == (False, True, 300)
    row = await freeze_status(app, investor, "frozen")
    assert (row.network_id, row.tokens) == (chain_of(app).network_id, 1)
    assert (await stored_wallet(app, wallet)).frozen_at is not None
    assert await sync_freezes(chain_of(app)) == 0  # nothing left to do
    assert await register_pending(chain_of(app)) == 0  # the registrar does not list it again
    assert await reconcile(chain_of(app)) == []  # its tokens are still the ledger's
    audit = await client.get(
        "/api/v1/admin/audit",
        params={"action": "chain.wallets_frozen", "target": f"user:{investor.user_id}"},
        headers=market.admin.headers,
    )
    assert audit.json()["items"][0]["payload"] == {"wallets": [wallet], "tokens": 1}

    # A bond tokenized after the freeze: its token freezes the wallet too, as it is deployed.
    other = await list_bond(client, app, isin=isin("IN002034009"), name="7.10% GS 2034")
    second = await tokenized(client, other)
    assert await on_chain(app, second, wallet) == (False, True, 0)
    assert await sync_freezes(chain_of(app)) == 0

    # Verified again (by compliance, in person): listed and unfrozen on every token.
    again = await submit(client, investor, form(a_pan(VERIFIED_FULL)))
    assert again.status_code == 200, again.text
    [reviewer] = await make_reviewers(app, client)
    path = f"/api/v1/admin/kyc/{again.json()['id']}"
    await client.post(f"{path}/assign", headers=reviewer.headers)
    approved = await client.post(
        f"{path}/approve", json={"tier": "full", "reason": "Cleared."}, headers=reviewer.headers
    )
    assert approved.status_code == 200, approved.text
    await freeze_status(app, investor, "thawing")
    assert await sync_freezes(chain_of(app)) == 1
    assert await on_chain(app, token, wallet) == (True, False, 300)
    assert await on_chain(app, second, wallet) == (True, False, 0)
    await freeze_status(app, investor, "thawed")
    assert (await stored_wallet(app, wallet)).frozen_at is None
    assert await reconcile(chain_of(app)) == []


async def test_a_run_that_lost_the_chains_answer_is_completed_without_sending_twice(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market = await list_bond(client, app)
    investor = await verified(client)
    await fund_units(app, market, investor, 300)
    token = await tokenized(client, market)
    wallet = await wallet_of(app, investor)
    await revoke(client, app, investor)
    recorded = Recorded(chain_of(app).venue.chain)
    chain_of(app).venue.chain = recorded

    recorded.lose_answer_to = "batchSetAddressFrozen"
    with pytest.raises(ChainUnavailable):
        await sync_freezes(chain_of(app))
    assert recorded.sent == ["deleteIdentity", "batchSetAddressFrozen"]
    await freeze_status(app, investor, "freezing")  # the chain acted, the database never knew

    assert await sync_freezes(chain_of(app)) == 1
    assert recorded.sent == ["deleteIdentity", "batchSetAddressFrozen"]  # nothing sent again
    assert await on_chain(app, token, wallet) == (False, True, 300)
    await freeze_status(app, investor, "frozen")


async def test_a_delivery_to_a_frozen_wallet_reverts_into_the_breaks_path(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market = await list_bond(client, app)
    seller, buyer = await verified(client), await verified(client)
    await fund_units(app, market, seller, 1_000)
    await fund_cash(app, buyer, 2_00_000_00)
    await tokenized(client, market)
    await wallet_of(app, buyer)
    sold = await order(client, seller, market, "sell", "100.00", 100)
    assert sold.status_code == 201, sold.text
    bought = await order(client, buyer, market, "buy", "100.00", 100)
    assert bought.status_code == 201, bought.text

    await revoke(client, app, buyer)  # after the trade, before its delivery
    await sync_freezes(chain_of(app))
    for _ in range(MAX_ATTEMPTS):
        await settle_due(chain_of(app))
    async with UnitOfWork(app.state.database, write=False) as uow:
        [instruction] = list(await uow.session.scalars(select(ChainSettlement)))
    assert instruction.attempts == MAX_ATTEMPTS
    assert instruction.status in ("failed", "unwound")  # in the breaks queue, or reversed
    assert instruction.last_error is not None and "receiver frozen" in instruction.last_error


async def test_an_embedded_chain_rebuilt_on_start_keeps_the_wallet_frozen(
    settings: Settings,
) -> None:
    first = create_app(settings, passwords=FAST_PASSWORDS)
    async with started(first), client_of(first) as client:
        market = await list_bond(client, first)
        investor = await verified(client)
        await fund_units(first, market, investor, 300)
        await tokenized(client, market)
        wallet = await wallet_of(first, investor)
        await revoke(client, first, investor)
        await sync_freezes(chain_of(first))

    second = create_app(settings, passwords=FAST_PASSWORDS)
    async with started(second), client_of(second) as client:
        token = Address(
            (await client.get(f"/api/v1/instruments/{market.id}/token")).json()["address"]
        )
        network = (await client.get("/api/v1/chain")).json()
        assert network["reason"] == "embedded chain restarted"
        # Re-deployed and re-minted from the ledger, and frozen again before anything moved.
        assert await on_chain(second, token, wallet) == (False, True, 300)
        assert await sync_freezes(chain_of(second)) == 0
        assert await register_pending(chain_of(second)) == 0
        assert await reconcile(chain_of(second)) == []


async def test_a_bond_held_by_a_revoked_investor_tokenizes_with_their_units_frozen(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market = await list_bond(client, app)
    holder = await verified(client)
    await fund_units(app, market, holder, 300)
    wallet = await wallet_of(app, holder)
    await register_pending(chain_of(app))
    await revoke(client, app, holder)
    await sync_freezes(chain_of(app))

    token = await tokenized(client, market)
    assert await on_chain(app, token, wallet) == (False, True, 300)
    wallets = (await client.get("/api/v1/wallets", headers=holder.headers)).json()
    assert [(w["listed"], w["frozen_at"] is not None) for w in wallets] == [(False, True)]
    assert await reconcile(chain_of(app)) == []

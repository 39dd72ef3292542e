"""The venue on the embedded chain, over HTTP: its contracts deployed at start, a custodial
wallet for each verified investor listed in the registry, bonds tokenized from the ledger's
holdings, and everything re-issued when the (forgetful) embedded chain restarts."""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update

from liquibond.app import create_app
from liquibond.chain.keystore import LocalKeystore
from liquibond.chain.models import ChainKey, KeyPurpose
from liquibond.chain.port import Address, Call, ChainError
from liquibond.chain.service import ChainComponents
from liquibond.config import Settings
from liquibond.platform.crypto import DecryptionError, FieldCipher
from liquibond.platform.uow import UnitOfWork
from tests.conftest import FAST_PASSWORDS, make_settings, started
from tests.helpers import LoggedIn, assert_problem, register_and_login
from tests.payments.conftest import verified_investor
from tests.trading.conftest import Market, fund_units, list_bond


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """The app on the embedded chain, its registrar running every 50 ms."""
    return make_settings(database_url, tmp_path, chain="embedded", chain_interval_seconds=0.05)


async def _wallet(client: httpx.AsyncClient, user: LoggedIn) -> dict[str, object]:
    """The user's custodial wallet, once it exists and the registry lists it."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        wallets = (await client.get("/api/v1/wallets", headers=user.headers)).json()
        if wallets and wallets[0]["listed"]:
            return dict(wallets[0])
        await asyncio.sleep(0.05)
    raise AssertionError(f"no listed wallet: {wallets}")


async def _balance_on_chain(app: FastAPI, token: str, wallet: object) -> int:
    chain: ChainComponents = app.state.chain
    return await chain.venue.balance_of(Address(token), Address(str(wallet)))


async def _holders(client: httpx.AsyncClient, app: FastAPI) -> tuple[Market, list[LoggedIn]]:
    """A listed bond with two verified investors holding 300 and 200 of its units."""
    market = await list_bond(client, app)
    first, second = await verified_investor(client), await verified_investor(client)
    await fund_units(app, market, first, 300)
    await fund_units(app, market, second, 200)
    return market, [first, second]


async def test_the_venue_deploys_its_contracts_when_it_starts(client: httpx.AsyncClient) -> None:
    network = await client.get("/api/v1/chain")
    assert network.status_code == 200, network.text
    body = network.json()
    assert (body["kind"], body["persistent"], body["reason"]) == ("embedded", False, "first start")
    assert len({body["operator"], body["registry"], body["dvp"]}) == 3
    assert all(body[key].startswith("0x") and len(body[key]) == 42 for key in ("registry", "dvp"))


async def test_a_verified_investor_gets_a_custodial_wallet_the_registry_lists(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    unverified = await register_and_login(client, "nokyc")
    investor = await verified_investor(client)
    wallet = await _wallet(client, investor)
    assert (wallet["custody"], wallet["category"], wallet["country"]) == ("custodial", 1, 356)

    chain: ChainComponents = app.state.chain
    registry = chain.venue.require_contracts().registry
    listed = await chain.venue.chain.read(
        Call("IdentityRegistry", registry, "isVerified", (wallet["address"],))
    )
    assert listed is True
    assert (await client.get("/api/v1/wallets", headers=unverified.headers)).json() == []


async def test_an_admin_tokenizes_a_bond_and_each_holder_gets_the_units_the_ledger_holds(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market, (first, second) = await _holders(client, app)
    refused = await client.post(f"/api/v1/instruments/{market.id}/tokenize", headers=first.headers)
    assert_problem(refused, 403, "auth.forbidden_role")

    tokenized = await client.post(
        f"/api/v1/instruments/{market.id}/tokenize", headers=market.admin.headers
    )
    assert tokenized.status_code == 201, tokenized.text
    token = tokenized.json()
    issue = int(market.bond["issue_size_units"])
    assert token["minted_units"] == token["total_supply"] == issue
    assert token["offer_document_hash"].startswith("0x") and len(token["offer_document_hash"]) == 66
    for holder, units in ((first, 300), (second, 200), (market.issuer, issue - 500)):
        wallet = await _wallet(client, holder)
        assert await _balance_on_chain(app, token["address"], wallet["address"]) == units

    assert (await client.get(f"/api/v1/instruments/{market.id}/token")).json() == token
    again = await client.post(
        f"/api/v1/instruments/{market.id}/tokenize", headers=market.admin.headers
    )
    assert_problem(again, 409, "chain.already_tokenized")


async def test_only_a_listed_bond_can_be_tokenized(client: httpx.AsyncClient, app: FastAPI) -> None:
    market = await list_bond(client, app)
    suspended = await client.post(
        f"/api/v1/instruments/{market.id}/suspend",
        json={"reason": "Pending a corporate action"},
        headers=market.admin.headers,
    )
    assert suspended.status_code == 200, suspended.text
    refused = await client.post(
        f"/api/v1/instruments/{market.id}/tokenize", headers=market.admin.headers
    )
    assert_problem(refused, 409, "chain.not_listed")
    missing = await client.post(
        f"/api/v1/instruments/{uuid.uuid4()}/tokenize", headers=market.admin.headers
    )
    assert_problem(missing, 404, "instrument.not_found")
    assert_problem(
        await client.get(f"/api/v1/instruments/{market.id}/token"), 404, "token.not_found"
    )


async def test_a_restarted_embedded_chain_is_rebuilt_from_the_ledger(
    settings: Settings, tmp_path: Path
) -> None:
    first_app = create_app(settings, passwords=FAST_PASSWORDS)
    async with started(first_app), _client(first_app) as client:
        market, (first, _) = await _holders(client, first_app)
        tokenized = await client.post(
            f"/api/v1/instruments/{market.id}/tokenize", headers=market.admin.headers
        )
        before = tokenized.json()
        wallet = await _wallet(client, first)
        network = (await client.get("/api/v1/chain")).json()

    second_app = create_app(settings, passwords=FAST_PASSWORDS)
    async with started(second_app), _client(second_app) as client:
        rebuilt = (await client.get("/api/v1/chain")).json()
        assert rebuilt["reason"] == "embedded chain restarted"
        assert rebuilt["deployed_at"] > network["deployed_at"]
        assert (rebuilt["wallets"], rebuilt["tokens"]) == (3, 1)
        after = (await client.get(f"/api/v1/instruments/{market.id}/token")).json()
        assert (
            after["total_supply"] == before["total_supply"] == int(market.bond["issue_size_units"])
        )
        assert await _wallet(client, first) == wallet  # the same wallet, listed anew
        assert await _balance_on_chain(second_app, after["address"], wallet["address"]) == 300


def _client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


async def test_without_a_chain_the_chain_api_says_so(database_url: str, tmp_path: Path) -> None:
    app = create_app(make_settings(database_url, tmp_path), passwords=FAST_PASSWORDS)
    async with started(app), _client(app) as client:
        assert_problem(await client.get("/api/v1/chain"), 503, "chain.off")


async def test_a_sealed_key_opens_only_for_its_own_address(
    app: FastAPI, settings: Settings
) -> None:
    keystore = LocalKeystore(app.state.database, FieldCipher(settings.field_encryption_key))
    async with UnitOfWork(app.state.database) as uow:
        one = keystore.new_key(uow.session, KeyPurpose.CUSTODY)
        other = keystore.new_key(uow.session, KeyPurpose.CUSTODY)
        await uow.commit()
    fresh = LocalKeystore(app.state.database, FieldCipher(settings.field_encryption_key))
    transaction = {
        "to": other,
        "value": 1,
        "gas": 21_000,
        "gasPrice": 10**9,
        "nonce": 0,
        "chainId": 1,
    }
    assert await fresh.sign_transaction(one, transaction)  # unsealed from the database

    async with UnitOfWork(app.state.database) as uow:  # one row's sealed key copied onto another
        sealed = await uow.session.get(ChainKey, one)
        assert sealed is not None
        await uow.session.execute(
            update(ChainKey).where(ChainKey.address == other).values(sealed_key=sealed.sealed_key)
        )
        await uow.commit()
    with pytest.raises(DecryptionError):
        await LocalKeystore(
            app.state.database, FieldCipher(settings.field_encryption_key)
        ).sign_transaction(other, transaction)
    with pytest.raises(ChainError, match="no key"):
        await fresh.sign_transaction(Address("0x" + "11" * 20), transaction)


async def test_two_transactions_giving_one_user_a_wallet_at_once_agree_on_it(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    """E.g. the KYC consumer and a tokenization, both creating the same holder's wallet."""
    user = await register_and_login(client, "twice")
    chain = _chain(app)

    async def give() -> str:
        async with UnitOfWork(app.state.database) as uow:
            wallets = await chain.service(uow.session).custodial_wallets(
                [uuid.UUID(user.user_id)], 356
            )
            await asyncio.sleep(0.05)  # hold the transaction open while the other one tries
            await uow.commit()
        return wallets[uuid.UUID(user.user_id)].address

    first, second = await asyncio.gather(give(), give())
    assert first == second
    wallets = (await client.get("/api/v1/wallets", headers=user.headers)).json()
    assert [w["address"] for w in wallets] == [first]


def _chain(app: FastAPI) -> ChainComponents:
    chain: ChainComponents = app.state.chain
    return chain

"""Linking a self-custody wallet over HTTP with Sign-In with Ethereum: the signed message links
it (and the registry lists it); a forged signature, a replayed nonce, an expired message,
another user's nonce and a wallet linked already are refused."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from eth_account import Account
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount
from fastapi import FastAPI
from sqlalchemy import update

from liquibond.chain.models import SiweNonce
from liquibond.config import Settings
from liquibond.platform.db import utcnow
from liquibond.platform.uow import UnitOfWork
from tests.conftest import make_settings
from tests.helpers import LoggedIn, assert_problem, register_and_login
from tests.payments.conftest import verified_investor


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """The app on the embedded chain, its registrar running every 50 ms."""
    return make_settings(database_url, tmp_path, chain="embedded", chain_interval_seconds=0.05)


async def _challenge(client: httpx.AsyncClient, user: LoggedIn, wallet: str) -> dict[str, Any]:
    asked = await client.post(
        "/api/v1/wallets/siwe", json={"address": wallet}, headers=user.headers
    )
    assert asked.status_code == 201, asked.text
    return dict(asked.json())


def _signed(account: LocalAccount, message: str) -> str:
    return "0x" + account.sign_message(encode_defunct(text=message)).signature.hex().removeprefix(
        "0x"
    )


async def _link(
    client: httpx.AsyncClient, user: LoggedIn, message: str, signature: str
) -> httpx.Response:
    body = {"message": message, "signature": signature}
    return await client.post("/api/v1/wallets/link", json=body, headers=user.headers)


async def test_a_signed_message_links_the_wallet_and_the_registry_lists_it(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    investor = await verified_investor(client)
    mine: LocalAccount = Account.create()
    challenge = await _challenge(client, investor, mine.address.lower())
    assert mine.address in challenge["message"] and challenge["nonce"] in challenge["message"]
    assert "wants you to sign in with your Ethereum account" in challenge["message"]

    linked = await _link(
        client, investor, challenge["message"], _signed(mine, challenge["message"])
    )
    assert linked.status_code == 201, linked.text
    assert (linked.json()["address"], linked.json()["custody"]) == (mine.address, "linked")
    for _ in range(200):
        wallets = (await client.get("/api/v1/wallets", headers=investor.headers)).json()
        if all(w["listed"] for w in wallets) and len(wallets) == 2:
            break
        await asyncio.sleep(0.05)
    assert [w["custody"] for w in wallets] == ["custodial", "linked"]
    assert all(w["listed"] for w in wallets)

    replayed = await _link(
        client, investor, challenge["message"], _signed(mine, challenge["message"])
    )
    assert_problem(replayed, 409, "siwe.nonce_used")
    again = await _challenge(client, investor, mine.address)
    taken = await _link(client, investor, again["message"], _signed(mine, again["message"]))
    assert_problem(taken, 409, "chain.wallet_taken")


async def test_a_forged_signature_is_refused_and_spends_nothing(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    investor = await verified_investor(client)
    mine, forger = Account.create(), Account.create()
    challenge = await _challenge(client, investor, mine.address)
    forged = await _link(
        client, investor, challenge["message"], _signed(forger, challenge["message"])
    )
    assert_problem(forged, 422, "siwe.bad_signature")
    tampered = challenge["message"].replace("Link this wallet", "Link that wallet")
    assert_problem(
        await _link(client, investor, tampered, _signed(mine, challenge["message"])),
        422,
        "siwe.bad_signature",
    )
    # The nonce is not spent by a failed attempt: the real signature still links.
    genuine = await _link(
        client, investor, challenge["message"], _signed(mine, challenge["message"])
    )
    assert genuine.status_code == 201, genuine.text


async def test_an_expired_message_or_another_users_nonce_is_refused(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    investor, other = await verified_investor(client), await verified_investor(client)
    mine: LocalAccount = Account.create()
    theirs = await _challenge(client, other, mine.address)
    stolen = await _link(client, investor, theirs["message"], _signed(mine, theirs["message"]))
    assert_problem(stolen, 422, "siwe.nonce_mismatch")

    challenge = await _challenge(client, investor, mine.address)
    async with UnitOfWork(app.state.database) as uow:  # its ten minutes pass
        await uow.session.execute(
            update(SiweNonce)
            .where(SiweNonce.nonce == challenge["nonce"])
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        await uow.commit()
    message = challenge["message"]
    expired = await _link(client, investor, message, _signed(mine, message))
    assert_problem(expired, 422, "siwe.expired")


async def test_only_a_verified_investor_may_link_a_wallet(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    newcomer = await register_and_login(client, "nokyc")
    mine: LocalAccount = Account.create()
    challenge = await _challenge(client, newcomer, mine.address)
    refused = await _link(
        client, newcomer, challenge["message"], _signed(mine, challenge["message"])
    )
    assert_problem(refused, 403, "kyc.not_verified")
    bad = await client.post(
        "/api/v1/wallets/siwe", json={"address": "0x12"}, headers=newcomer.headers
    )
    assert_problem(bad, 422, "request.validation_failed")

"""A tokenized bond's supply follows the ledger, on the embedded chain and both databases: a
re-issue auction's allotments are minted once to the allottees' wallets, a redemption's retired
units are burned, and an allotment racing a tokenization (settled before its snapshot, or
between its snapshot and its record) is minted exactly once. The chain's jobs are off: the
tests run them."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from liquibond.chain.identity import sync_freezes
from liquibond.chain.models import SupplyChange
from liquibond.chain.port import Address, ChainUnavailable, Receipt
from liquibond.chain.settlement import reconcile
from liquibond.chain.supply import apply_supply_changes
from liquibond.config import Settings
from liquibond.platform.uow import UnitOfWork
from tests.auctions.conftest import bidder, placed, running, stepped
from tests.chain.test_identity import Recorded, chain_of, revoke, tokenized, wallet_of
from tests.conftest import make_settings
from tests.corporate_actions.conftest import actions, detail, gsec, next_weekday, run_job, today
from tests.helpers import LoggedIn
from tests.kyc.helpers import eventually
from tests.trading.conftest import Market, fund_cash, fund_units, list_bond
from tests.trading.conftest import verified_investor as verified

FACE = 100_00
ALLOTTED = {"first": 40_000, "second": 60_000}


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """The embedded chain; its jobs, the auctions' and the corporate actions' are off (the
    tests take their steps)."""
    return make_settings(
        database_url,
        tmp_path,
        chain="embedded",
        chain_interval_seconds=0,
        chain_settlement_interval_seconds=0,
        chain_reconcile_interval_seconds=0,
        auctions_interval_seconds=0,
        corporate_actions_interval_seconds=0,
    )


async def _auction(
    client: httpx.AsyncClient, app: FastAPI, market: Market
) -> tuple[str, dict[str, LoggedIn]]:
    """A re-issue auction of 100,000 units bid for in full by two bidders, cleared (not
    settled yet); its id and the bidders."""
    auction = await running(client, market, offering=sum(ALLOTTED.values()))
    bidders = {}
    for name, units in ALLOTTED.items():
        bidders[name] = await bidder(client, app, units * FACE * 11 // 10)
        await placed(client, bidders[name], auction["id"], units, price="100.00")
    for step in ("close", "clear"):
        await stepped(client, market.issuer, auction["id"], step)
    return auction["id"], bidders


async def _change(app: FastAPI, cause: str, status: str = "pending") -> SupplyChange:
    """The supply change of `cause`, once the consumer recorded it and it is in `status`."""

    async def probe() -> SupplyChange | None:
        async with UnitOfWork(app.state.database, write=False) as uow:
            row = await uow.session.scalar(select(SupplyChange).where(SupplyChange.cause == cause))
        return row if row is not None and row.status == status else None

    return await eventually(probe)


async def _units(app: FastAPI, token: Address, user: LoggedIn) -> int:
    return await chain_of(app).venue.balance_of(token, await wallet_of(app, user))


async def _supply(app: FastAPI, token: Address) -> int:
    return await chain_of(app).venue.total_supply(token)


async def test_a_reissue_allotment_of_a_tokenized_bond_is_minted_once(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market = await list_bond(client, app)
    token = await tokenized(client, market)
    issued = int(market.bond["issue_size_units"])
    auction_id, bidders = await _auction(client, app, market)
    await stepped(client, market.issuer, auction_id, "settle")
    await _change(app, f"auction:{auction_id}")
    assert await reconcile(chain_of(app)) != []  # the ledger has units the token has not

    assert await apply_supply_changes(chain_of(app)) == 1
    for name, units in ALLOTTED.items():
        assert await _units(app, token, bidders[name]) == units
    assert await _supply(app, token) == issued + sum(ALLOTTED.values())
    change = await _change(app, f"auction:{auction_id}", "applied")
    assert (change.units, change.chain_units, change.token) == (100_000, 100_000, token)
    assert sorted(change.deliveries.values()) == sorted(ALLOTTED.values())  # type: ignore[union-attr]
    assert await apply_supply_changes(chain_of(app)) == 0  # nothing minted twice
    assert await _supply(app, token) == issued + sum(ALLOTTED.values())
    assert await reconcile(chain_of(app)) == []

    audit = await client.get(
        "/api/v1/admin/audit",
        params={"action": "chain.supply_minted", "target": f"instrument:{market.id}"},
        headers=market.admin.headers,
    )
    assert audit.json()["items"][0]["payload"]["cause"] == f"auction:{auction_id}"


async def test_a_mint_whose_answer_was_lost_is_not_sent_again(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market = await list_bond(client, app)
    token = await tokenized(client, market)
    auction_id, bidders = await _auction(client, app, market)
    await stepped(client, market.issuer, auction_id, "settle")
    await _change(app, f"auction:{auction_id}")
    recorded = Recorded(chain_of(app).venue.chain)
    chain_of(app).venue.chain = recorded

    recorded.lose_answer_to = "batchMint"
    with pytest.raises(ChainUnavailable):
        await apply_supply_changes(chain_of(app))
    submitted = await _change(app, f"auction:{auction_id}", "submitted")
    assert submitted.chain_units == 100_000  # the plan, recorded before it was sent

    assert await apply_supply_changes(chain_of(app)) == 1
    assert recorded.sent.count("batchMint") == 1
    await _change(app, f"auction:{auction_id}", "applied")
    for name, units in ALLOTTED.items():
        assert await _units(app, token, bidders[name]) == units
    assert await reconcile(chain_of(app)) == []


async def test_an_auction_of_a_bond_not_tokenized_changes_no_token(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market = await list_bond(client, app)
    auction_id, _ = await _auction(client, app, market)
    await stepped(client, market.issuer, auction_id, "settle")
    await _change(app, f"auction:{auction_id}")
    assert await apply_supply_changes(chain_of(app)) == 1
    await _change(app, f"auction:{auction_id}", "skipped")


async def test_an_allotment_settled_before_the_tokenization_is_not_minted_twice(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market = await list_bond(client, app)
    issued = int(market.bond["issue_size_units"])
    auction_id, bidders = await _auction(client, app, market)
    await stepped(client, market.issuer, auction_id, "settle")
    await _change(app, f"auction:{auction_id}")  # recorded, not yet applied
    token = await tokenized(client, market)  # its snapshot has the allotment

    assert await apply_supply_changes(chain_of(app)) == 1
    change = await _change(app, f"auction:{auction_id}", "applied")
    assert (change.units, change.chain_units, change.deliveries) == (100_000, 0, None)
    for name, units in ALLOTTED.items():
        assert await _units(app, token, bidders[name]) == units
    assert await _supply(app, token) == issued + sum(ALLOTTED.values())
    assert await reconcile(chain_of(app)) == []


class Interleaved:
    """The chain, running `before_token` once, just before a bond token is deployed: after the
    tokenization's snapshot of the ledger, before its record of the token."""

    def __init__(self, chain: Any, before_token: Callable[[], Awaitable[None]]) -> None:
        self._chain = chain
        self._before_token: Callable[[], Awaitable[None]] | None = before_token

    def __getattr__(self, name: str) -> Any:
        return getattr(self._chain, name)

    async def deploy(self, contract: str, args: Any, *, sender: Address) -> Receipt:
        if contract == "BondToken" and self._before_token is not None:
            hook, self._before_token = self._before_token, None
            await hook()
        receipt: Receipt = await self._chain.deploy(contract, args, sender=sender)
        return receipt


async def test_an_allotment_settled_during_the_tokenization_is_minted_once(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market = await list_bond(client, app)
    issued = int(market.bond["issue_size_units"])
    auction_id, bidders = await _auction(client, app, market)
    for user in bidders.values():
        await wallet_of(app, user)

    async def settle() -> None:
        await stepped(client, market.issuer, auction_id, "settle")
        await _change(app, f"auction:{auction_id}")

    chain = chain_of(app)
    chain.venue.chain = Interleaved(chain.venue.chain, settle)  # type: ignore[assignment]
    token = await tokenized(client, market)
    assert await _supply(app, token) == issued  # the snapshot came before the allotment

    assert await apply_supply_changes(chain) == 1
    change = await _change(app, f"auction:{auction_id}", "applied")
    assert (change.units, change.chain_units) == (100_000, 100_000)
    for name, units in ALLOTTED.items():
        assert await _units(app, token, bidders[name]) == units
    assert await _supply(app, token) == issued + sum(ALLOTTED.values())
    assert await reconcile(chain) == []


async def test_a_frozen_allottee_gets_the_units_and_stays_frozen(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market = await list_bond(client, app)
    token = await tokenized(client, market)
    auction_id, bidders = await _auction(client, app, market)
    await revoke(client, app, bidders["first"])  # after bidding, before the settlement
    await sync_freezes(chain_of(app))
    await stepped(client, market.issuer, auction_id, "settle")
    await _change(app, f"auction:{auction_id}")

    assert await apply_supply_changes(chain_of(app)) == 1
    wallet = await wallet_of(app, bidders["first"])
    venue = chain_of(app).venue
    assert await venue.balance_of(token, wallet) == ALLOTTED["first"]
    assert (await venue.is_listed(wallet), await venue.is_frozen(token, wallet)) == (False, True)
    assert await sync_freezes(chain_of(app)) == 0
    assert await reconcile(chain_of(app)) == []


async def test_a_redemption_burns_the_retired_units(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    sunday = next_weekday(today() + timedelta(days=20), 6)
    market = await gsec(client, app, sunday)
    holders = [await verified(client), await verified(client)]
    await fund_units(app, market, holders[0], 1_000)
    await fund_units(app, market, holders[1], 300)
    token = await tokenized(client, market)
    issued = int(market.bond["issue_size_units"])
    assert await _supply(app, token) == issued

    await run_job(app, today())
    [redemption] = await actions(client, market)
    record_date = redemption["record_date"]
    await run_job(app, date.fromisoformat(record_date))
    await fund_cash(app, market.issuer, 1_300 * int(redemption["amount_per_unit"]))
    await run_job(app, date.fromisoformat(redemption["payment_date"]))
    assert (await detail(client, market.admin, redemption["id"]))["status"] == "paid"
    await _change(app, f"redemption:{redemption['id']}")

    assert await apply_supply_changes(chain_of(app)) == 1
    change = await _change(app, f"redemption:{redemption['id']}", "applied")
    assert (change.kind, change.units, change.chain_units) == ("burn", issued, issued)
    assert await _supply(app, token) == 0
    for user in (*holders, market.issuer):
        assert await _units(app, token, user) == 0
    assert await apply_supply_changes(chain_of(app)) == 0
    assert await reconcile(chain_of(app)) == []
    assert uuid.UUID(market.id) == change.instrument_id

"""Self-custody over HTTP on the embedded chain (the main flow on anvil too), on both
databases: units withdrawn to a wallet linked by Sign-In with Ethereum and deposited back from
it with a transfer signed by that wallet's key; every refusal; idempotency; a lost answer, a
crash and a reverting delivery; reconciliation clean afterwards. The ledger is verified after
every test (conftest)."""

from __future__ import annotations

import asyncio
import secrets
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from fastapi import FastAPI
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import update

from liquibond.app import create_app
from liquibond.chain.custody import (
    WithdrawalReport,
    process_withdrawals,
    read_deposit,
    self_custody_differences,
)
from liquibond.chain.custody_lifecycle import (
    MAX_WITHDRAWAL_ATTEMPTS,
    WITHDRAWAL_TRANSITIONS,
    WithdrawalStatus,
    WithdrawalStep,
    after_delivery_reverted,
    credit_deposits,
    next_withdrawal_status,
)
from liquibond.chain.models import CustodyWithdrawal, Wallet
from liquibond.chain.port import (
    Address,
    Call,
    Chain,
    ChainUnavailable,
    Receipt,
    Signer,
    TransactionReverted,
    TxHash,
)
from liquibond.chain.service import ChainComponents
from liquibond.chain.settlement import reconcile, settle_due
from liquibond.config import Settings
from liquibond.platform.errors import Unprocessable
from liquibond.platform.uow import UnitOfWork
from tests.chain.conftest import ETHER, System, anvil_binary
from tests.chain.test_tokenization import _client, _wallet
from tests.chain.test_wallets import _challenge, _link, _signed
from tests.conftest import FAST_PASSWORDS, make_settings, started
from tests.helpers import LoggedIn, assert_problem
from tests.payments.conftest import verified_investor
from tests.trading.conftest import Market, balances, fund_cash, fund_units, list_bond, order

# -- the pure parts ---------------------------------------------------------------------------

W, Step = WithdrawalStatus, WithdrawalStep


def test_a_confirmed_or_failed_withdrawal_never_moves_again() -> None:
    for final in (W.CONFIRMED, W.FAILED):
        assert all(next_withdrawal_status(final, step) is None for step in Step)


def test_deliveries_run_out_after_the_last_attempt() -> None:
    assert [after_delivery_reverted(n) for n in range(1, MAX_WITHDRAWAL_ATTEMPTS + 1)] == [
        *([Step.REVERT] * (MAX_WITHDRAWAL_ATTEMPTS - 1)),
        Step.FAIL,
    ]


@given(st.lists(st.sampled_from(list(Step)), max_size=30))
def test_any_sequence_of_steps_ends_a_withdrawal_at_most_once(steps: list[WithdrawalStep]) -> None:
    status, ended = W.PENDING, []
    for step in steps:
        target = next_withdrawal_status(status, step)
        if target is None:
            continue
        if target in (W.CONFIRMED, W.FAILED):
            ended.append(target)
        status = target
    assert len(ended) <= 1  # delivered or given back, never both, never twice
    assert set(WITHDRAWAL_TRANSITIONS.values()) <= set(W)


@given(
    st.lists(st.integers(min_value=1, max_value=10**12), max_size=8),
    st.integers(min_value=-(10**12), max_value=10**13),
)
def test_a_deposit_credits_what_was_withdrawn_and_no_more(
    amounts: list[int], self_custody: int
) -> None:
    credits = credit_deposits(amounts, self_custody)
    assert len(credits) == len(amounts)
    assert all(0 <= credit <= amount for credit, amount in zip(credits, amounts, strict=True))
    assert sum(credits) == min(sum(amounts), max(self_custody, 0))
    short = [i for i, (c, a) in enumerate(zip(credits, amounts, strict=True)) if c < a]
    assert all(credits[i] == 0 for i in short[1:])  # in log order: only one is cut short


async def test_a_reverted_or_unknown_transaction_is_no_deposit() -> None:
    class Answers:
        def __init__(self, answer: Receipt | Exception | None) -> None:
            self.answer = answer

        async def receipt(self, tx_hash: TxHash) -> Receipt | None:
            if isinstance(self.answer, Exception):
                raise self.answer
            return self.answer

        async def block_number(self) -> int:
            return 7

    def components(answer: Receipt | Exception | None) -> Any:
        return SimpleNamespace(venue=SimpleNamespace(chain=Answers(answer)))

    tx_hash = "0x" + "ab" * 32
    with pytest.raises(Unprocessable) as reverted:
        await read_deposit(components(TransactionReverted("execution reverted")), tx_hash)
    assert reverted.value.code == "chain.deposit_reverted"
    with pytest.raises(Unprocessable) as unknown:
        await read_deposit(components(None), tx_hash)
    assert unknown.value.code == "chain.deposit_unknown_tx"
    mined = Receipt(TxHash(tx_hash), block=5, gas_used=21_000)
    assert await read_deposit(components(mined), tx_hash.upper().replace("0X", "0x")) == (mined, 7)


async def test_a_receipt_is_read_back_by_its_hash(system: System) -> None:
    await system.send("BondToken", system.bond, "mint", system.seller, 10)
    sent = await system.chain.send(
        Call("BondToken", system.bond, "transfer", (system.buyer, 4)), sender=system.seller
    )
    found = await system.chain.receipt(sent.tx_hash)
    assert found == sent
    [transfer] = found.named("Transfer")
    assert (transfer.args["sender"], transfer.args["receiver"], transfer.args["value"]) == (
        system.seller,
        system.buyer,
        4,
    )
    assert await system.chain.receipt(TxHash("0x" + secrets.token_hex(32))) is None


# -- over HTTP --------------------------------------------------------------------------------


@pytest.fixture
def chain_kind(request: pytest.FixtureRequest) -> str:
    """The venue's chain: embedded, unless a test asks for anvil too."""
    kind = str(getattr(request, "param", "embedded"))
    if kind == "anvil":
        anvil_binary()
    return kind


@pytest.fixture
def settings(database_url: str, tmp_path: Path, chain_kind: str) -> Settings:
    """The registrar every 50 ms; settlement, deliveries and reconciliation run when a test
    says (a withdrawal is also delivered right after its request)."""
    return make_settings(
        database_url,
        tmp_path,
        chain=chain_kind,
        chain_interval_seconds=0.05,
        chain_settlement_interval_seconds=0,
        chain_reconcile_interval_seconds=0,
    )


class WithKeys:
    """The venue's signer, plus the keys of wallets the test's users hold (their MetaMask)."""

    def __init__(self, venue: Signer) -> None:
        self._venue = venue
        self.accounts: dict[str, LocalAccount] = {}

    async def sign_transaction(self, address: Address, transaction: Mapping[str, Any]) -> bytes:
        """Sign with a user's key if it is one, else with the venue's."""
        account = self.accounts.get(address)
        if account is None:
            return await self._venue.sign_transaction(address, transaction)
        return bytes(account.sign_transaction(dict(transaction)).raw_transaction)


class Faulty:
    """The chain, with faults to inject into the deliveries the venue sends."""

    def __init__(self, chain: Chain) -> None:
        self._chain = chain
        self.down = False  # the node does not answer
        self.drop_answers = 0  # deliveries that are mined but whose answer is lost
        self.behind = 0  # confirmed blocks lag the latest by this many

    def __getattr__(self, name: str) -> Any:
        return getattr(self._chain, name)

    async def send(self, call: Call, *, sender: Address) -> Receipt:
        """Send, unless the node is down; lose the answer if a drop is armed."""
        if self.down:
            raise ChainUnavailable("the node does not answer")
        receipt = await self._chain.send(call, sender=sender)
        if self.drop_answers and call.function == "settle":
            self.drop_answers -= 1
            raise ChainUnavailable("the node went away before answering")
        return receipt

    async def block_number(self) -> int:
        """The latest confirmed block, `behind` blocks back."""
        return await self._chain.block_number() - self.behind


def _chain(app: FastAPI) -> ChainComponents:
    chain: ChainComponents = app.state.chain
    return chain


def _faulty(app: FastAPI) -> Faulty:
    faulty = Faulty(_chain(app).venue.chain)
    _chain(app).venue.chain = faulty  # type: ignore[assignment]
    return faulty


async def _linked(client: httpx.AsyncClient, app: FastAPI, user: LoggedIn) -> LocalAccount:
    """A wallet the user links by signing the venue's message, once the registry lists it;
    its key signs the user's own transactions, and it has gas for them."""
    account: LocalAccount = Account.create()
    challenge = await _challenge(client, user, account.address)
    linked = await _link(client, user, challenge["message"], _signed(account, challenge["message"]))
    assert linked.status_code == 201, linked.text
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        wallets = (await client.get("/api/v1/wallets", headers=user.headers)).json()
        if any(w["address"] == account.address and w["listed"] for w in wallets):
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError(f"the linked wallet is not listed: {wallets}")
    adapter = _chain(app).venue.chain
    signer = adapter._signer  # type: ignore[attr-defined]
    if not isinstance(signer, WithKeys):
        signer = adapter._signer = WithKeys(signer)  # type: ignore[attr-defined]
    signer.accounts[account.address] = account
    await adapter.fund(Address(account.address), ETHER)
    return account


async def _holders(
    client: httpx.AsyncClient, app: FastAPI
) -> tuple[Market, str, LoggedIn, LoggedIn]:
    """A tokenized bond, its token's address and two investors holding 1,000 and 100 units."""
    market = await list_bond(client, app)
    investor, other = await verified_investor(client), await verified_investor(client)
    await fund_units(app, market, investor, 1_000)
    await fund_units(app, market, other, 100)
    tokenized = await client.post(
        f"/api/v1/instruments/{market.id}/tokenize", headers=market.admin.headers
    )
    assert tokenized.status_code == 201, tokenized.text
    return market, str(tokenized.json()["address"]), investor, other


async def _holder(client: httpx.AsyncClient, app: FastAPI) -> tuple[Market, str, LoggedIn]:
    """A tokenized bond, its token's address and an investor holding 1,000 of its units."""
    market, token, investor, _ = await _holders(client, app)
    return market, token, investor


async def _tokens(app: FastAPI, token: str, wallet: object) -> int:
    return await _chain(app).venue.balance_of(Address(token), Address(str(wallet)))


async def _send(app: FastAPI, token: str, sender: LocalAccount, to: object, units: int) -> str:
    """An ERC-20 transfer the wallet's holder signs (as MetaMask would); its hash."""
    call = Call("BondToken", Address(token), "transfer", (Address(str(to)), units))
    receipt = await _chain(app).venue.chain.send(call, sender=Address(sender.address))
    return receipt.tx_hash


async def _withdraw(
    client: httpx.AsyncClient,
    user: LoggedIn,
    market: Market,
    wallet: str,
    quantity: int,
    key: str | None = None,
) -> httpx.Response:
    body = {"instrument_id": market.id, "wallet": wallet, "quantity": quantity}
    headers = {**user.headers, **({"Idempotency-Key": key} if key else {})}
    return await client.post("/api/v1/wallets/withdrawals", json=body, headers=headers)


async def _deposit(
    client: httpx.AsyncClient, user: LoggedIn, market: Market, tx_hash: str
) -> httpx.Response:
    body = {"instrument_id": market.id, "tx_hash": tx_hash}
    return await client.post("/api/v1/wallets/deposits", json=body, headers=user.headers)


async def _withdrawals(client: httpx.AsyncClient, user: LoggedIn) -> list[dict[str, Any]]:
    page = (await client.get("/api/v1/wallets/withdrawals", headers=user.headers)).json()
    return list(page["items"])


async def _clean(app: FastAPI) -> None:
    """Reconciliation finds nothing: custodial wallets (the settlement side) and self-custody."""
    assert await reconcile(_chain(app)) == []
    async with UnitOfWork(app.state.database, write=False) as uow:
        assert await self_custody_differences(_chain(app), uow.session) == []


@pytest.mark.parametrize("chain_kind", ["embedded", "anvil"], indirect=True)
async def test_units_go_to_a_linked_wallet_and_come_back(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market, token, investor = await _holder(client, app)
    mine = await _linked(client, app, investor)
    custodial = (await _wallet(client, investor))["address"]

    asked = await _withdraw(client, investor, market, mine.address.lower(), 300, key="w-1")
    assert asked.status_code == 201, asked.text
    withdrawal = asked.json()
    assert (withdrawal["status"], withdrawal["wallet"], withdrawal["quantity"]) == (
        "pending",
        mine.address,
        300,
    )
    retried = await _withdraw(client, investor, market, mine.address.lower(), 300, key="w-1")
    assert retried.json() == withdrawal and retried.headers["Idempotent-Replayed"] == "true"
    reused = await _withdraw(client, investor, market, mine.address, 301, key="w-1")
    assert_problem(reused, 422, "idempotency.key_reused")

    [delivered] = await _withdrawals(client, investor)  # delivered right after the request
    assert (delivered["id"], delivered["status"], delivered["attempts"]) == (
        withdrawal["id"],
        "confirmed",
        1,
    )
    assert delivered["tx_hash"] and delivered["completed_at"]
    assert await _tokens(app, token, mine.address) == 300
    assert await _tokens(app, token, custodial) == 700
    held = await balances(client, investor)
    assert (held[(market.isin, "available")], held[(market.isin, "self_custody")]) == (700, 300)
    await _clean(app)
    register = await client.get(
        f"/api/v1/instruments/{market.id}/holders", headers=market.admin.headers
    )  # units in self-custody are still the investor's
    assert {h["user_id"]: h["units"] for h in register.json()["holders"]}[investor.user_id] == 1_000

    # Units in self-custody cannot be sold on the venue.
    refused = await order(client, investor, market, "sell", "100.00", 800)
    assert_problem(refused, 422, "order.insufficient_funds")

    tx_hash = await _send(app, token, mine, custodial, 100)
    deposited = await _deposit(client, investor, market, tx_hash.upper().replace("0X", "0x"))
    assert deposited.status_code == 201, deposited.text
    [deposit] = deposited.json()
    assert (deposit["tx_hash"], deposit["wallet"], deposit["quantity"], deposit["credited"]) == (
        tx_hash,
        mine.address,
        100,
        100,
    )
    assert deposit["status"] == "credited"
    assert_problem(
        await _deposit(client, investor, market, tx_hash), 409, "chain.deposit_already_credited"
    )
    held = await balances(client, investor)
    assert (held[(market.isin, "available")], held[(market.isin, "self_custody")]) == (800, 200)
    listed = (await client.get("/api/v1/wallets/deposits", headers=investor.headers)).json()
    assert [d["id"] for d in listed["items"]] == [deposit["id"]]
    await _clean(app)


async def test_withdrawals_are_listed_newest_first_a_page_at_a_time(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market, _, investor = await _holder(client, app)
    mine = await _linked(client, app, investor)
    ids = [
        (await _withdraw(client, investor, market, mine.address, units)).json()["id"]
        for units in (10, 20, 30)
    ]
    first = await client.get(
        "/api/v1/wallets/withdrawals", params={"limit": 2}, headers=investor.headers
    )
    page = first.json()
    second = await client.get(
        "/api/v1/wallets/withdrawals",
        params={"limit": 2, "cursor": page["next_cursor"]},
        headers=investor.headers,
    )
    assert [w["id"] for w in page["items"] + second.json()["items"]] == ids[::-1]
    assert second.json()["next_cursor"] is None
    stranger = await verified_investor(client)
    assert await _withdrawals(client, stranger) == []


async def test_a_withdrawal_is_refused_with_a_reason(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market, _, investor = await _holder(client, app)
    mine = await _linked(client, app, investor)
    other = await verified_investor(client)
    theirs = await _linked(client, app, other)
    custodial = (await _wallet(client, investor))["address"]

    for wallet in (theirs.address, str(custodial), Account.create().address):
        refused = await _withdraw(client, investor, market, wallet, 10)
        assert_problem(refused, 422, "chain.wallet_not_linked")
    too_many = await _withdraw(client, investor, market, mine.address, 1_001)
    assert_problem(too_many, 422, "chain.insufficient_units")
    assert_problem(
        await _withdraw(client, other, market, theirs.address, 1), 422, "chain.insufficient_units"
    )
    untokenized = await list_bond(client, app, isin="IN0020230085", name="7.18% GS 2033")
    assert_problem(
        await _withdraw(client, investor, untokenized, mine.address, 10), 404, "token.not_found"
    )
    bad = await _withdraw(client, investor, market, mine.address, 0)
    assert_problem(bad, 422, "request.validation_failed")

    async with _chain(app).lock:  # the registrar waits: as if it had not listed it yet
        async with UnitOfWork(app.state.database) as uow:
            await uow.session.execute(
                update(Wallet).where(Wallet.address == mine.address).values(network_id=None)
            )
            await uow.commit()
        unlisted = await _withdraw(client, investor, market, mine.address, 10)
    assert_problem(unlisted, 409, "chain.wallet_not_listed")
    held = await balances(client, investor)
    assert held[(market.isin, "available")] == 1_000  # nothing was taken by a refusal
    assert await _withdrawals(client, investor) == []


async def test_a_deposit_is_refused_with_a_reason(client: httpx.AsyncClient, app: FastAPI) -> None:
    market, token, investor, other = await _holders(client, app)
    mine = await _linked(client, app, investor)
    theirs = await _linked(client, app, other)
    custodial = (await _wallet(client, investor))["address"]
    their_custodial = (await _wallet(client, other))["address"]
    assert (await _withdraw(client, investor, market, mine.address, 200)).status_code == 201
    [withdrawal] = await _withdrawals(client, investor)

    unknown = await _deposit(client, investor, market, "0x" + secrets.token_hex(32))
    assert_problem(unknown, 422, "chain.deposit_unknown_tx")
    token_deployed = (await client.get(f"/api/v1/instruments/{market.id}/token")).json()
    wrong_token = await _deposit(client, investor, market, token_deployed["deploy_tx"])
    assert_problem(wrong_token, 422, "chain.deposit_wrong_token")
    # The venue's own delivery to the linked wallet: from the custodial wallet, not a deposit.
    not_mine = await _deposit(client, investor, market, withdrawal["tx_hash"])
    assert_problem(not_mine, 422, "chain.deposit_not_your_wallet")
    to_them = await _send(app, token, mine, their_custodial, 10)
    assert_problem(
        await _deposit(client, investor, market, to_them), 422, "chain.deposit_not_to_custodial"
    )
    # Someone else's transfer into my custodial wallet is not mine to report...
    assert (await _withdraw(client, other, market, theirs.address, 50)).status_code == 201
    gift = await _send(app, token, theirs, custodial, 5)
    assert_problem(
        await _deposit(client, investor, market, gift), 422, "chain.deposit_not_your_wallet"
    )
    # ... nor theirs: it did not go to their custodial wallet.
    assert_problem(
        await _deposit(client, other, market, gift), 422, "chain.deposit_not_to_custodial"
    )

    back = await _send(app, token, mine, custodial, 20)
    faulty = _faulty(app)
    faulty.behind = 1
    assert_problem(await _deposit(client, investor, market, back), 409, "chain.deposit_unconfirmed")
    faulty.behind = 0
    credited = await _deposit(client, investor, market, back)
    assert credited.status_code == 201, credited.text
    assert credited.json()[0]["credited"] == 20


async def test_a_lost_answer_or_a_node_down_delivers_once(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market, token, investor = await _holder(client, app)
    mine = await _linked(client, app, investor)
    faulty = _faulty(app)

    faulty.drop_answers = 1  # mined, but the venue never hears of it
    assert (await _withdraw(client, investor, market, mine.address, 100)).status_code == 201
    [lost] = await _withdrawals(client, investor)
    assert (lost["status"], lost["attempts"]) == ("submitted", 1)
    report = await process_withdrawals(_chain(app))
    assert (report.confirmed, report.retried, report.failed) == (1, 0, 0)
    [found] = await _withdrawals(client, investor)
    assert found["status"] == "confirmed" and found["tx_hash"]  # read back from the DvP's event

    faulty.down = True  # the request is recorded; the delivery waits for the node
    assert (await _withdraw(client, investor, market, mine.address, 50)).status_code == 201
    waiting = (await _withdrawals(client, investor))[0]
    assert waiting["status"] == "submitted"
    with pytest.raises(ChainUnavailable):
        await process_withdrawals(_chain(app))
    faulty.down = False
    report = await process_withdrawals(_chain(app))  # not spent: tried again, and delivered
    assert report.confirmed == 1
    assert (await _withdrawals(client, investor))[0]["status"] == "confirmed"

    # Even told to deliver it again, the chain refuses a spent id: the tokens move once.
    async with UnitOfWork(app.state.database) as uow:
        await uow.session.execute(
            update(CustodyWithdrawal)
            .where(CustodyWithdrawal.id == uuid.UUID(found["id"]))
            .values(status="pending")
        )
        await uow.commit()
    assert (await process_withdrawals(_chain(app))).confirmed == 1
    assert await _tokens(app, token, mine.address) == 150
    held = await balances(client, investor)
    assert (held[(market.isin, "available")], held[(market.isin, "self_custody")]) == (850, 150)
    await _clean(app)


async def test_a_delivery_that_keeps_reverting_fails_and_gives_the_units_back(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market, token, investor = await _holder(client, app)
    mine = await _linked(client, app, investor)
    chain = _chain(app)
    operator = chain.venue.require_contracts().operator
    custodial = Address(str((await _wallet(client, investor))["address"]))
    freeze = Call("BondToken", Address(token), "setAddressFrozen", (custodial, True))
    await chain.venue.chain.send(freeze, sender=operator)

    assert (await _withdraw(client, investor, market, mine.address, 100)).status_code == 201
    for attempt in range(2, MAX_WITHDRAWAL_ATTEMPTS + 1):
        [tried] = await _withdrawals(client, investor)
        assert (tried["status"], tried["attempts"]) == ("pending", attempt - 1)
        assert "frozen" in tried["last_error"]
        await process_withdrawals(chain)
    [failed] = await _withdrawals(client, investor)
    assert (failed["status"], failed["attempts"]) == ("failed", MAX_WITHDRAWAL_ATTEMPTS)
    assert failed["completed_at"] is not None
    held = await balances(client, investor)
    assert (held[(market.isin, "available")], held[(market.isin, "self_custody")]) == (1_000, 0)
    assert await process_withdrawals(chain) == WithdrawalReport()

    unfreeze = Call("BondToken", Address(token), "setAddressFrozen", (custodial, False))
    await chain.venue.chain.send(unfreeze, sender=operator)
    assert await _tokens(app, token, custodial) == 1_000
    await _clean(app)


async def test_a_withdrawal_waits_until_its_owners_trades_settle_on_chain(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market, token, seller = await _holder(client, app)
    buyer = await verified_investor(client)
    await fund_cash(app, buyer, 2_00_000_00)
    mine = await _linked(client, app, buyer)
    sold = await order(client, seller, market, "sell", "100.00", 100)
    assert sold.status_code == 201, sold.text
    bought = await order(client, buyer, market, "buy", "100.00", 100)
    assert bought.status_code == 201, bought.text

    # Bought in the ledger, not yet in the buyer's custodial wallet: the delivery waits.
    assert (await _withdraw(client, buyer, market, mine.address, 100)).status_code == 201
    [waiting] = await _withdrawals(client, buyer)
    assert (waiting["status"], waiting["attempts"]) == ("pending", 0)
    assert await process_withdrawals(_chain(app)) == WithdrawalReport()

    assert (await settle_due(_chain(app))).settled == 1
    assert (await process_withdrawals(_chain(app))).confirmed == 1
    assert await _tokens(app, token, mine.address) == 100
    await _clean(app)


async def test_a_deposit_of_more_than_was_withdrawn_is_credited_up_to_it_and_flagged(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market, token, investor, other = await _holders(client, app)
    mine = await _linked(client, app, investor)
    theirs = await _linked(client, app, other)
    custodial = (await _wallet(client, investor))["address"]
    chain = _chain(app)
    assert (await _withdraw(client, investor, market, mine.address, 100)).status_code == 201
    assert (await _withdraw(client, other, market, theirs.address, 100)).status_code == 201
    await _clean(app)

    # Moving tokens between wallets is no break while the user's linked wallets hold them all;
    # sold to someone else on chain, they are.
    await _send(app, token, theirs, mine.address, 100)
    async with UnitOfWork(app.state.database, write=False) as uow:
        [missing] = await self_custody_differences(chain, uow.session)
    assert (missing.user_id, missing.wallet, missing.ledger_units, missing.chain_units) == (
        uuid.UUID(other.user_id),
        theirs.address,
        100,
        0,
    )

    back = await _send(app, token, mine, custodial, 200)
    deposited = await _deposit(client, investor, market, back)
    assert deposited.status_code == 201, deposited.text
    [deposit] = deposited.json()
    assert (deposit["quantity"], deposit["credited"], deposit["status"]) == (200, 100, "flagged")
    held = await balances(client, investor)
    assert (held[(market.isin, "available")], held[(market.isin, "self_custody")]) == (1_000, 0)

    flagged = await client.get("/api/v1/chain/deposits/flagged", headers=market.admin.headers)
    assert [d["id"] for d in flagged.json()] == [deposit["id"]]
    assert_problem(
        await client.get("/api/v1/chain/deposits/flagged", headers=investor.headers),
        403,
        "auth.forbidden_role",
    )
    # The 100 beyond the ledger sit in the custodial wallet: a break for operations.
    breaks = [(d.wallet, d.ledger_units, d.chain_units) for d in await reconcile(chain)]
    assert (custodial, 1_000, 1_100) in breaks


async def test_a_rebuilt_embedded_chain_gives_linked_wallets_their_units_back(
    settings: Settings,
) -> None:
    first = create_app(settings, passwords=FAST_PASSWORDS)
    async with started(first), _client(first) as client:
        market, _, investor = await _holder(client, first)
        mine = await _linked(client, first, investor)
        asked = await _withdraw(client, investor, market, mine.address, 300)
        assert asked.status_code == 201, asked.text
        assert [w["status"] for w in await _withdrawals(client, investor)] == ["confirmed"]

    second = create_app(settings, passwords=FAST_PASSWORDS)  # the embedded chain forgot all
    async with started(second), _client(second) as client:
        token = (await client.get(f"/api/v1/instruments/{market.id}/token")).json()["address"]
        assert await _tokens(second, token, mine.address) == 300
        assert await _tokens(second, token, (await _wallet(client, investor))["address"]) == 700
        await _clean(second)

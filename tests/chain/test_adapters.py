"""The chain adapters against the port: the embedded chain and anvil run the same tests; the
RPC adapter's circuit breaker and nonce resync are tested on their own."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from liquibond.chain.anvil import AnvilChain
from liquibond.chain.artifacts import decode_logs
from liquibond.chain.embedded import EmbeddedChain
from liquibond.chain.keystore import MemoryKeys
from liquibond.chain.port import (
    MAX_EVENT_SPAN,
    Address,
    Call,
    Chain,
    ChainError,
    ChainUnavailable,
    TransactionReverted,
)
from liquibond.chain.rpc import CircuitBreaker, RpcChain

from .conftest import AGENT_ROLE, ETHER, ZERO, System, anvil_binary, deploy_system


def settlement(system: System, n: int, amount: int = 1) -> tuple[object, ...]:
    """A hybrid DvP settlement (cash in the ledger) of `amount` bonds, seller to buyer."""
    return (
        (10**9 + n).to_bytes(32, "big"),
        system.bond,
        system.seller,
        system.buyer,
        amount,
        ZERO,
        0,
    )


async def test_the_adapters_describe_themselves(chain: EmbeddedChain | AnvilChain) -> None:
    assert (chain.kind, chain.persistent) in {("embedded", False), ("anvil", True)}
    assert await chain.chain_id() > 0
    assert await chain.block_number() >= 0


async def test_fund_gives_gas_money(chain: Chain, keys: MemoryKeys) -> None:
    wallet = keys.new()
    assert await chain.balance(wallet) == 0
    await chain.fund(wallet, 123)
    assert await chain.balance(wallet) == 123


async def test_mint_transfer_and_read_balances(system: System) -> None:
    await system.send("BondToken", system.bond, "mint", system.seller, 1_000)
    transfer = Call("BondToken", system.bond, "transfer", (system.buyer, 300))
    await system.chain.send(transfer, sender=system.seller)

    assert await system.balance(system.seller) == 700
    assert await system.balance(system.buyer) == 300
    assert await system.chain.read(Call("BondToken", system.bond, "totalSupply")) == 1_000
    verified = Call("IdentityRegistry", system.registry, "isVerified", (system.buyer,))
    assert await system.chain.read(verified) is True


async def test_a_revert_raises_the_contracts_reason(system: System, keys: MemoryKeys) -> None:
    await system.send("BondToken", system.bond, "mint", system.seller, 1_000)
    outsider = keys.new()
    transfer = Call("BondToken", system.bond, "transfer", (outsider, 1))

    with pytest.raises(TransactionReverted) as raised:
        await system.chain.send(transfer, sender=system.seller)

    assert raised.value.reason == "transfer restricted: receiver not verified"
    assert await system.balance(system.seller) == 1_000
    # the failed attempt used no nonce: the seller's next transaction goes through
    await system.chain.send(
        Call("BondToken", system.bond, "transfer", (system.buyer, 1)), sender=system.seller
    )
    assert await system.balance(system.buyer) == 1


async def test_a_settlement_by_a_wallet_without_the_agent_role_reverts(system: System) -> None:
    settle = Call("DvP", system.dvp, "settle", (settlement(system, 1),))
    with pytest.raises(TransactionReverted, match="roles: account is missing role"):
        await system.chain.send(settle, sender=system.seller)


async def test_a_transaction_that_reverts_once_mined_raises_with_its_receipt(
    system: System, keys: MemoryKeys
) -> None:
    await system.send("BondToken", system.bond, "mint", system.seller, 10)
    second_agent = keys.new()
    await system.chain.fund(second_agent, ETHER)
    await system.send("DvP", system.dvp, "grantRole", AGENT_ROLE, second_agent)
    settle = Call("DvP", system.dvp, "settle", (settlement(system, 1),))

    # Both are built (and pass their checks) before either is mined; the second then reverts.
    results = await asyncio.gather(
        system.chain.send(settle, sender=system.agent),
        system.chain.send(settle, sender=second_agent),
        return_exceptions=True,
    )

    reverted = [result for result in results if isinstance(result, TransactionReverted)]
    assert len(reverted) == 1, results
    assert reverted[0].reason == "dvp: settlement id already used"
    assert reverted[0].receipt is not None
    assert reverted[0].receipt.events == ()
    assert await system.balance(system.buyer) == 1


async def test_receipts_carry_decoded_events(system: System) -> None:
    minted = await system.send("BondToken", system.bond, "mint", system.seller, 500)
    moved = await system.chain.send(
        Call("BondToken", system.bond, "transfer", (system.buyer, 200)), sender=system.seller
    )

    assert [event.name for event in minted.events] == ["Transfer", "Minted"]
    (mint,) = minted.named("Transfer")
    assert mint.args == {"sender": ZERO, "receiver": system.seller, "value": 500}
    assert mint.address == system.bond
    assert (mint.block, mint.tx_hash) == (minted.block, minted.tx_hash)
    (transfer,) = moved.named("Transfer")
    assert transfer.args == {"sender": system.seller, "receiver": system.buyer, "value": 200}
    assert moved.gas_used > 0
    assert moved.contract_address is None


async def test_events_over_a_bounded_range_in_chain_order(system: System) -> None:
    start = await system.chain.block_number() + 1
    receipts = [
        await system.send("BondToken", system.bond, "mint", system.seller, amount)
        for amount in (1, 2, 3)
    ]
    receipts.append(await system.send("DvP", system.dvp, "settle", settlement(system, 7, amount=6)))
    end = await system.chain.block_number()

    events = await system.chain.events([system.bond, system.dvp], start, end)

    assert events == [event for receipt in receipts for event in receipt.events]
    assert [event.name for event in events][-2:] == ["Transfer", "Settled"]
    settled = events[-1].args
    assert settled["settlementId"] == "0x" + (10**9 + 7).to_bytes(32, "big").hex()
    assert (settled["seller"], settled["buyer"], settled["cash"]) == (
        system.seller,
        system.buyer,
        ZERO,
    )
    assert await system.chain.events([system.dvp], start, start) == []
    with pytest.raises(ValueError, match="span more than"):
        await system.chain.events([system.bond], start, start + MAX_EVENT_SPAN)


async def test_read_at_an_earlier_block_sees_the_old_balance(system: System) -> None:
    await system.send("BondToken", system.bond, "mint", system.seller, 10)
    before = await system.chain.block_number()
    await system.send("BondToken", system.bond, "mint", system.seller, 5)

    assert await system.balance(system.seller) == 15
    assert await system.balance(system.seller, block=before) == 10


async def test_concurrent_sends_from_one_sender_all_succeed(system: System) -> None:
    receipts = await asyncio.gather(
        *(system.send("BondToken", system.bond, "mint", system.seller, n) for n in range(1, 21))
    )

    assert len({receipt.tx_hash for receipt in receipts}) == 20
    assert await system.balance(system.seller) == sum(range(1, 21))


async def test_a_dvp_batch_settles_many_hybrid_trades_in_one_transaction(system: System) -> None:
    await system.send("BondToken", system.bond, "mint", system.seller, 1_000)
    batch = [settlement(system, n, amount=2) for n in range(1, 101)]

    receipt = await system.send("DvP", system.dvp, "settleBatch", batch)

    assert len(receipt.named("Settled")) == 100
    assert len(receipt.named("Transfer")) == 100
    assert await system.balance(system.buyer) == 200
    is_settled = Call("DvP", system.dvp, "isSettled", (batch[-1][0],))
    assert await system.chain.read(is_settled) is True
    with pytest.raises(TransactionReverted):  # exactly once
        await system.send("DvP", system.dvp, "settleBatch", batch[:1])


async def test_anvil_state_survives_a_restart(keys: MemoryKeys, tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    chain = AnvilChain(keys, state, binary=anvil_binary())
    await chain.start()
    try:
        system = await deploy_system(chain, keys)
        await system.send("BondToken", system.bond, "mint", system.seller, 42)
        block = await chain.block_number()
    finally:
        await chain.stop()

    restarted = AnvilChain(keys, state, binary=anvil_binary())
    await restarted.start()
    try:
        system.chain = restarted
        assert await restarted.block_number() == block
        assert await system.balance(system.seller) == 42
        # the agent's nonce comes from the restarted node, so it can transact at once
        await system.send("BondToken", system.bond, "mint", system.buyer, 8)
        assert await system.balance(system.buyer) == 8
    finally:
        await restarted.stop()


async def test_rpc_resyncs_its_nonce_after_another_client_used_the_key(
    keys: MemoryKeys, tmp_path: Path
) -> None:
    anvil = AnvilChain(keys, tmp_path / "state.json", binary=anvil_binary())
    await anvil.start()
    other = RpcChain(keys, anvil.url)
    await other.start()
    try:
        system = await deploy_system(anvil, keys)
        await system.send("BondToken", system.bond, "mint", system.seller, 1)
        # another client signs with the agent's key: anvil's cached nonce is now too low
        await other.send(
            Call("BondToken", system.bond, "mint", (system.seller, 2)), sender=system.agent
        )
        await system.send("BondToken", system.bond, "mint", system.seller, 3)
        assert await system.balance(system.seller) == 6
    finally:
        await other.stop()
        await anvil.stop()


async def test_the_circuit_breaker_opens_against_a_dead_node(dead_rpc: RpcChain) -> None:
    with pytest.raises(ChainUnavailable, match="does not answer"):
        await dead_rpc.start()  # two attempts, two failures
    with pytest.raises(ChainUnavailable, match="does not answer"):
        await dead_rpc.block_number()  # two more: the breaker opens
    assert dead_rpc.breaker.is_open

    with pytest.raises(ChainUnavailable, match="circuit breaker is open"):
        await dead_rpc.block_number()


def test_the_circuit_breaker_lets_one_probe_through_after_the_cooldown() -> None:
    now = [0.0]
    breaker = CircuitBreaker(threshold=2, cooldown=10, clock=lambda: now[0])
    breaker.failed()
    breaker.allow()
    breaker.failed()
    with pytest.raises(ChainUnavailable):
        breaker.allow()

    now[0] = 10.0
    breaker.allow()  # the probe
    with pytest.raises(ChainUnavailable):
        breaker.allow()  # while the probe is out
    breaker.failed()  # reopens at once
    with pytest.raises(ChainUnavailable):
        breaker.allow()

    now[0] = 20.0
    breaker.allow()
    breaker.succeeded()
    breaker.allow()
    assert not breaker.is_open


async def test_rpc_funds_only_on_a_development_node(keys: MemoryKeys, tmp_path: Path) -> None:
    anvil = AnvilChain(keys, tmp_path / "state.json", binary=anvil_binary())
    await anvil.start()
    try:
        wallet = keys.new()
        await anvil.fund(wallet, 5)
        await anvil.fund(wallet, 5)
        assert await anvil.balance(wallet) == 10
    finally:
        await anvil.stop()


async def test_an_embedded_chain_that_is_not_started_is_unavailable(keys: MemoryKeys) -> None:
    with pytest.raises(ChainUnavailable):
        await EmbeddedChain(keys).block_number()


async def test_a_sender_without_a_key_is_refused(chain: Chain) -> None:
    stranger = Address("0x" + "11" * 20)
    await chain.fund(stranger, 10**18)
    with pytest.raises(ChainError, match="no key"):
        await chain.deploy("DvP", [stranger, stranger], sender=stranger)


def test_logs_no_artifact_knows_are_skipped() -> None:
    log = {
        "topics": ["0x" + "ab" * 32],
        "data": "0x",
        "address": ZERO,
        "blockNumber": 1,
        "transactionHash": "0x" + "00" * 32,
        "logIndex": 0,
    }
    assert decode_logs([log]) == ()

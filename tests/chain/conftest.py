"""Fixtures for the chain adapter tests: an in-memory signer, each adapter started on a fresh
chain, and the venue's contracts deployed on it.

The anvil tests need the anvil binary (see liquibond.chain.anvil.find_anvil); without it they
skip locally and fail in CI (LIQUIBOND_TEST_REQUIRE_SERVICES=1).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from eth_utils.crypto import keccak

from liquibond.chain.anvil import AnvilChain, find_anvil
from liquibond.chain.embedded import EmbeddedChain
from liquibond.chain.keystore import MemoryKeys
from liquibond.chain.port import Address, Call, Chain
from liquibond.chain.rpc import RpcChain

REQUIRE_SERVICES = os.environ.get("LIQUIBOND_TEST_REQUIRE_SERVICES") == "1"
ZERO = Address("0x" + "00" * 20)
SETTLEMENT_ROLE = "0x" + keccak(text="SETTLEMENT_ROLE").hex()
AGENT_ROLE = "0x" + keccak(text="AGENT_ROLE").hex()
INDIA = 356
RETAIL = 1
ETHER = 10**18


def anvil_binary() -> Path:
    """The anvil binary, or skip (locally) / fail (in CI) without it."""
    binary = find_anvil()
    if binary is not None:
        return binary
    message = "the anvil tests need the anvil binary (npm install --prefix .tools/anvil ...)"
    if REQUIRE_SERVICES:
        pytest.fail(f"{message}; required in CI")
    pytest.skip(f"{message}; skipped locally")


@pytest.fixture
def keys() -> MemoryKeys:
    return MemoryKeys()


@pytest.fixture(params=["embedded", "anvil"])
async def chain(
    request: pytest.FixtureRequest, keys: MemoryKeys, tmp_path: Path
) -> AsyncIterator[EmbeddedChain | AnvilChain]:
    """Each adapter, started on a fresh chain."""
    adapter: EmbeddedChain | AnvilChain
    if request.param == "embedded":
        adapter = EmbeddedChain(keys)
    else:
        adapter = AnvilChain(keys, tmp_path / "anvil-state.json", binary=anvil_binary())
    await adapter.start()
    try:
        yield adapter
    finally:
        await adapter.stop()


@dataclass
class System:
    """The venue's contracts on a chain, an agent (also the admin), and two verified wallets."""

    chain: Chain
    agent: Address
    seller: Address
    buyer: Address
    registry: Address
    bond: Address
    cash: Address
    dvp: Address

    async def send(self, contract: str, address: Address, function: str, *args: Any) -> Any:
        """Send a call signed by the agent."""
        return await self.chain.send(Call(contract, address, function, args), sender=self.agent)

    async def register(self, wallet: Address, n: int) -> None:
        await self.send(
            "IdentityRegistry",
            self.registry,
            "registerIdentity",
            wallet,
            n.to_bytes(32, "big"),
            INDIA,
            RETAIL,
        )

    async def balance(self, wallet: Address, *, block: int | None = None) -> int:
        """The wallet's bond balance."""
        call = Call("BondToken", self.bond, "balanceOf", (wallet,))
        return int(await self.chain.read(call, block=block))


async def deploy_system(chain: Chain, keys: MemoryKeys) -> System:
    """Deploy registry, bond, cash and DvP; give the DvP the settlement role; verify two wallets."""
    agent, seller, buyer = keys.new(), keys.new(), keys.new()
    for wallet in (agent, seller, buyer):
        await chain.fund(wallet, 100 * ETHER)

    async def deploy(name: str, *args: Any) -> Address:
        address = (await chain.deploy(name, args, sender=agent)).contract_address
        assert address is not None
        return address

    registry = await deploy("IdentityRegistry", agent, agent)
    bond = await deploy(
        "BondToken", "7.26% GS 2033", "GS2033", 0, registry, agent, agent, b"\x01" * 32, "uri"
    )
    cash = await deploy("CashToken", "Liquibond INR", "LBINR", 2, registry, agent, agent)
    dvp = await deploy("DvP", agent, agent)
    system = System(chain, agent, seller, buyer, registry, bond, cash, dvp)
    await system.send("BondToken", bond, "grantRole", SETTLEMENT_ROLE, dvp)
    await system.send("CashToken", cash, "grantRole", SETTLEMENT_ROLE, dvp)
    await system.register(seller, 1)
    await system.register(buyer, 2)
    return system


@pytest.fixture
async def system(chain: Chain, keys: MemoryKeys) -> System:
    return await deploy_system(chain, keys)


@pytest.fixture
async def dead_rpc(keys: MemoryKeys) -> AsyncIterator[RpcChain]:
    """An RPC chain whose URL nothing listens on, retrying quickly."""
    adapter = RpcChain(
        keys, "http://127.0.0.1:1", retries=1, backoff=0.001, failure_threshold=4, cooldown=3600
    )
    try:
        yield adapter
    finally:
        await adapter.stop()

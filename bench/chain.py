"""DvP settlement throughput on the chain adapters: one settlement per transaction vs batches.

    uv run python bench/chain.py                       # embedded chain, and anvil if found
    uv run python bench/chain.py --single 50 --batches 100,500

On each chain (the embedded py-evm chain; anvil when liquibond.chain.anvil finds its binary):
deploys the registry, a bond and the DvP, verifies a seller and a buyer, mints, then settles
hybrid trades (cash in the ledger: only the bond moves) from the agent's key, each transaction
awaited until mined. Reported: settlements per second and gas per settlement, sending
``--single`` settlements one transaction each, then one ``settleBatch`` per batch size (at
most 500, the contract's limit; 500 takes about 17 million gas, within a 30 million block).
Prints figures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

from eth_utils.crypto import keccak

from liquibond.chain.anvil import AnvilChain, find_anvil
from liquibond.chain.embedded import EmbeddedChain
from liquibond.chain.keystore import MemoryKeys
from liquibond.chain.port import Address, Call, Chain

ZERO = Address("0x" + "00" * 20)


class Venue:
    """The bond, registry and DvP on `chain`, with a seller holding plenty of the bond."""

    def __init__(self, chain: Chain, keys: MemoryKeys) -> None:
        self.chain = chain
        self.agent, self.seller, self.buyer = keys.new(), keys.new(), keys.new()
        self.bond = self.dvp = ZERO
        self._next_id = 0

    async def deploy(self) -> None:
        await self.chain.fund(self.agent, 10**22)

        async def deploy(name: str, *args: Any) -> Address:
            address = (await self.chain.deploy(name, args, sender=self.agent)).contract_address
            assert address is not None
            return address

        registry = await deploy("IdentityRegistry", self.agent, self.agent)
        self.bond = await deploy(
            "BondToken", "Bench bond", "BB", 0, registry, self.agent, self.agent, b"\1" * 32, ""
        )
        self.dvp = await deploy("DvP", self.agent, self.agent)
        role = "0x" + keccak(text="SETTLEMENT_ROLE").hex()
        await self.send("BondToken", self.bond, "grantRole", role, self.dvp)
        for n, wallet in enumerate((self.seller, self.buyer), start=1):
            await self.send(
                "IdentityRegistry",
                registry,
                "registerIdentity",
                wallet,
                n.to_bytes(32, "big"),
                356,
                1,
            )
        await self.send("BondToken", self.bond, "mint", self.seller, 10**15)

    async def send(self, contract: str, address: Address, function: str, *args: Any) -> int:
        """Send a call from the agent; the gas it used."""
        receipt = await self.chain.send(Call(contract, address, function, args), sender=self.agent)
        return receipt.gas_used

    def settlements(self, n: int) -> list[tuple[Any, ...]]:
        """`n` new hybrid settlements of one bond each, seller to buyer."""
        found = []
        for _ in range(n):
            self._next_id += 1
            found.append(
                (self._next_id.to_bytes(32, "big"), self.bond, self.seller, self.buyer, 1, ZERO, 0)
            )
        return found


def report(label: str, settlements: int, seconds: float, gas: int) -> None:
    print(
        f"  {label:<22} {settlements:>5} settlements in {seconds:6.2f} s: "
        f"{settlements / seconds:8,.1f}/s, {gas / settlements:9,.0f} gas each"
    )


async def bench(chain: Chain, keys: MemoryKeys, single: int, batches: list[int]) -> None:
    await chain.start()
    try:
        venue = Venue(chain, keys)
        await venue.deploy()
        start, gas = time.perf_counter(), 0
        for settlement in venue.settlements(single):
            gas += await venue.send("DvP", venue.dvp, "settle", settlement)
        report("one per transaction", single, time.perf_counter() - start, gas)
        for size in batches:
            batch = venue.settlements(size)
            start = time.perf_counter()
            gas = await venue.send("DvP", venue.dvp, "settleBatch", batch)
            report(f"one batch of {size}", size, time.perf_counter() - start, gas)
    finally:
        await chain.stop()


async def run(single: int, batches: list[int]) -> None:
    keys = MemoryKeys()
    print("embedded chain (py-evm in process)")
    await bench(EmbeddedChain(keys), keys, single, batches)
    binary = find_anvil()
    if binary is None:
        print("anvil: not found, skipped")
        return
    print(f"anvil ({binary})")
    with tempfile.TemporaryDirectory() as scratch:
        await bench(
            AnvilChain(keys, Path(scratch) / "state.json", binary=binary), keys, single, batches
        )


def main() -> int:
    parser = argparse.ArgumentParser(description="DvP settlements per second (prints figures).")
    parser.add_argument("--single", type=int, default=100, help="settlements one per transaction")
    parser.add_argument("--batches", default="100,500", help="batch sizes, comma-separated")
    args = parser.parse_args()
    asyncio.run(run(args.single, [int(size) for size in args.batches.split(",")]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

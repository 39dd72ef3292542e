"""DvP settlement throughput on the chain adapters: one settlement per transaction vs batches.

    uv run python bench/settlement.py                       # embedded chain, and anvil if found
    uv run python bench/settlement.py --single 50 --batches 100,500

On each chain (the embedded py-evm chain; anvil when liquibond.chain.anvil finds its binary):
deploys the registry, a bond and the DvP, verifies a seller and a buyer, mints, then settles
hybrid trades (cash in the ledger: only the bond moves) from the agent's key, each transaction
awaited until mined. Reported: settlements per second and gas per settlement, sending
``--single`` settlements one transaction each, then one ``settleBatch`` per batch size (at
most 500, the contract's limit; 500 takes about 17 million gas, within a 30 million block),
then ``--netted`` batch sizes of random trades among ``--traders`` wallets netted per participant
(:mod:`liquibond.chain.netting`, timed too) into one ``settleNet``: the venue's default, which
takes up to 5,000 trades a batch (the contract bounds deliveries, not trades).
Prints figures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from pathlib import Path
from typing import Any

from eth_utils.crypto import keccak

from liquibond.chain.anvil import AnvilChain, find_anvil
from liquibond.chain.embedded import EmbeddedChain
from liquibond.chain.keystore import MemoryKeys
from liquibond.chain.netting import Leg, net
from liquibond.chain.port import Address, Call, Chain

ZERO = Address("0x" + "00" * 20)


class Venue:
    """The bond, registry and DvP on `chain`, with a seller holding plenty of the bond."""

    def __init__(self, chain: Chain, keys: MemoryKeys, traders: int) -> None:
        self.chain = chain
        self.agent, self.seller, self.buyer = keys.new(), keys.new(), keys.new()
        self.traders = [keys.new() for _ in range(traders)]
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
        for n, wallet in enumerate((self.seller, self.buyer, *self.traders), start=1):
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
        stock = [10**9] * len(self.traders)
        await self.send("BondToken", self.bond, "batchMint", self.traders, stock)

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

    def netted(self, trades: int, rng: random.Random) -> tuple[bytes, list[tuple[Any, ...]]]:
        """`trades` random trades among the traders, netted: a new batch id and deliveries."""
        legs = []
        for _ in range(trades):
            seller, buyer = rng.sample(self.traders, 2)
            legs.append(Leg(self.bond, seller, buyer, rng.randint(1, 1_000)))
        self._next_id += 1
        deliveries = [(d.token, d.sender, d.receiver, d.amount) for d in net(legs)]
        return self._next_id.to_bytes(32, "big"), deliveries


def report(label: str, settlements: int, seconds: float, gas: int) -> None:
    print(
        f"  {label:<26} {settlements:>5} settlements in {seconds:6.2f} s: "
        f"{settlements / seconds:8,.1f}/s, {gas / settlements:9,.0f} gas each"
    )


async def bench(
    chain: Chain,
    keys: MemoryKeys,
    single: int,
    batches: list[int],
    netted: list[int],
    traders: int,
) -> None:
    await chain.start()
    try:
        venue = Venue(chain, keys, traders)
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
        rng = random.Random(42)
        for size in netted:
            start = time.perf_counter()
            batch_id, deliveries = venue.netted(size, rng)
            gas = await venue.send("DvP", venue.dvp, "settleNet", batch_id, size, deliveries)
            label = f"netted {size} ({len(deliveries)} moves)"
            report(label, size, time.perf_counter() - start, gas)
    finally:
        await chain.stop()


async def run(single: int, batches: list[int], netted: list[int], traders: int) -> None:
    keys = MemoryKeys()
    print(f"embedded chain (py-evm in process); netted trades among {traders} wallets")
    await bench(EmbeddedChain(keys), keys, single, batches, netted, traders)
    binary = find_anvil()
    if binary is None:
        print("anvil: not found, skipped")
        return
    print(f"anvil ({binary})")
    with tempfile.TemporaryDirectory() as scratch:
        anvil = AnvilChain(keys, Path(scratch) / "state.json", binary=binary)
        await bench(anvil, keys, single, batches, netted, traders)


def main() -> int:
    parser = argparse.ArgumentParser(description="DvP settlements per second (prints figures).")
    parser.add_argument("--single", type=int, default=100, help="settlements one per transaction")
    parser.add_argument("--batches", default="100,500", help="settleBatch sizes (at most 500)")
    parser.add_argument("--netted", default="500,2000,5000", help="netted batch sizes (trades)")
    parser.add_argument("--traders", type=int, default=20, help="wallets the netted trades use")
    args = parser.parse_args()
    sizes = [[int(size) for size in option.split(",")] for option in (args.batches, args.netted)]
    asyncio.run(run(args.single, *sizes, args.traders))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The venue on a chain: its operator key, its identity registry and DvP contract, and the
chain operations the use cases need (deploy, register, mint), batched to the contracts' limit.

Nothing here touches the database except through the keystore; the use cases in
:mod:`liquibond.chain.tokenization` record what these operations did."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import TypeVar

from eth_utils.crypto import keccak

from liquibond.chain.keystore import LocalKeystore
from liquibond.chain.port import Address, Call, Chain, Receipt

_T = TypeVar("_T")

#: The contracts' batch limit (`MAX_BATCH` in the registry, the tokens and the DvP).
MAX_BATCH = 500
SETTLEMENT_ROLE = keccak(text="SETTLEMENT_ROLE")
#: Gas money a development chain gives the operator (100 ether).
OPERATOR_GAS = 100 * 10**18


class InvestorCategory(IntEnum):
    """The investor categories the identity registry records (the tokens may allow a subset)."""

    RETAIL = 1
    INSTITUTIONAL = 2
    ISSUER = 3


@dataclass(frozen=True, slots=True)
class Identity:
    """A wallet as the identity registry lists it."""

    wallet: Address
    investor: bytes  # 32 bytes: the user's id, so a user's wallets share one investor id
    country: int
    category: int


@dataclass(frozen=True, slots=True)
class VenueContracts:
    """Where the venue's registry and DvP live, and who operates them."""

    operator: Address
    registry: Address
    dvp: Address


def offer_document_hash(terms: bytes) -> bytes:
    """The SHA-256 recorded on the token for the bond's offer document (its term sheet)."""
    return hashlib.sha256(terms).digest()


class Venue:
    """The venue's side of a chain: the adapter, the keystore that signs, and the contracts."""

    def __init__(self, chain: Chain, keystore: LocalKeystore) -> None:
        self.chain = chain
        self.keystore = keystore
        self.contracts: VenueContracts | None = None

    def require_contracts(self) -> VenueContracts:
        """The venue's contracts (deployed or found when the chain started)."""
        if self.contracts is None:
            raise RuntimeError("the venue's contracts are not deployed yet")
        return self.contracts

    async def deploy_contracts(self, operator: Address) -> VenueContracts:
        """Deploy a fresh identity registry and DvP, both operated by `operator`."""
        if not self.chain.persistent or await self.chain.balance(operator) < OPERATOR_GAS // 10:
            await self.chain.fund(operator, OPERATOR_GAS)
        registry = await self.chain.deploy(
            "IdentityRegistry", [operator, operator], sender=operator
        )
        dvp = await self.chain.deploy("DvP", [operator, operator], sender=operator)
        assert registry.contract_address is not None and dvp.contract_address is not None
        self.contracts = VenueContracts(operator, registry.contract_address, dvp.contract_address)
        return self.contracts

    async def register(self, identities: Sequence[Identity]) -> list[Receipt]:
        """List wallets in the identity registry, up to MAX_BATCH per transaction."""
        venue = self.require_contracts()
        receipts = []
        for batch in _batches(identities):
            call = Call(
                "IdentityRegistry",
                venue.registry,
                "batchRegisterIdentity",
                (
                    [i.wallet for i in batch],
                    [i.investor for i in batch],
                    [i.country for i in batch],
                    [i.category for i in batch],
                ),
            )
            receipts.append(await self.chain.send(call, sender=venue.operator))
        return receipts

    async def deploy_token(
        self, name: str, symbol: str, document_hash: bytes, document_uri: str
    ) -> Receipt:
        """Deploy a bond's token (whole units: 0 decimals) and let the DvP settle it."""
        venue = self.require_contracts()
        args = [_clip(name, 64), symbol, 0, venue.registry, venue.operator, venue.operator]
        deployed = await self.chain.deploy(
            "BondToken", [*args, document_hash, document_uri], sender=venue.operator
        )
        assert deployed.contract_address is not None
        grant = Call(
            "BondToken", deployed.contract_address, "grantRole", (SETTLEMENT_ROLE, venue.dvp)
        )
        await self.chain.send(grant, sender=venue.operator)
        return deployed

    async def mint(self, token: Address, allocations: Sequence[tuple[Address, int]]) -> None:
        """Mint units to wallets, up to MAX_BATCH per transaction."""
        venue = self.require_contracts()
        for batch in _batches(allocations):
            call = Call(
                "BondToken",
                token,
                "batchMint",
                ([wallet for wallet, _ in batch], [units for _, units in batch]),
            )
            await self.chain.send(call, sender=venue.operator)

    async def balance_of(self, token: Address, wallet: Address, block: int | None = None) -> int:
        """A wallet's units of a token (at `block`, by default the latest)."""
        return int(
            await self.chain.read(Call("BondToken", token, "balanceOf", (wallet,)), block=block)
        )

    async def total_supply(self, token: Address) -> int:
        """All units of a token."""
        return int(await self.chain.read(Call("BondToken", token, "totalSupply")))

    async def burn(self, token: Address, allocations: Sequence[tuple[Address, int]]) -> None:
        """Burn units from wallets (frozen or delisted ones too), up to MAX_BATCH per
        transaction."""
        venue = self.require_contracts()
        for batch in _batches(allocations):
            call = Call(
                "BondToken",
                token,
                "batchBurn",
                ([wallet for wallet, _ in batch], [units for _, units in batch]),
            )
            await self.chain.send(call, sender=venue.operator)

    async def is_listed(self, wallet: Address) -> bool:
        """Whether the identity registry lists the wallet (it may hold and move tokens)."""
        registry = self.require_contracts().registry
        return bool(
            await self.chain.read(Call("IdentityRegistry", registry, "isVerified", (wallet,)))
        )

    async def delist(self, wallets: Sequence[Address]) -> None:
        """Remove listed wallets from the identity registry (one transaction each: the
        registry has no batch form of it)."""
        venue = self.require_contracts()
        for wallet in wallets:
            call = Call("IdentityRegistry", venue.registry, "deleteIdentity", (wallet,))
            await self.chain.send(call, sender=venue.operator)

    async def is_frozen(self, token: Address, wallet: Address) -> bool:
        """Whether the wallet is frozen on the token (it can neither send nor receive)."""
        return bool(await self.chain.read(Call("BondToken", token, "isFrozen", (wallet,))))

    async def set_frozen(self, token: Address, wallets: Sequence[Address], frozen: bool) -> None:
        """Freeze (or unfreeze) wallets on a token, up to MAX_BATCH per transaction."""
        venue = self.require_contracts()
        for batch in _batches(wallets):
            call = Call(
                "BondToken", token, "batchSetAddressFrozen", (list(batch), [frozen] * len(batch))
            )
            await self.chain.send(call, sender=venue.operator)


def _clip(text: str, max_bytes: int) -> str:
    """`text` cut to fit a Vyper `String[max_bytes]` without splitting a character."""
    return text.encode()[:max_bytes].decode(errors="ignore")


def _batches(items: Sequence[_T]) -> list[Sequence[_T]]:
    return [items[start : start + MAX_BATCH] for start in range(0, len(items), MAX_BATCH)]

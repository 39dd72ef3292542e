"""The chain port: what Liquibond needs of an EVM chain, whichever adapter provides it.

Three adapters implement :class:`Chain`: the embedded chain (py-evm in process, state lost on
restart), a local anvil node Liquibond runs with a state file, and any Ethereum node by
JSON-RPC URL. Every transaction is signed by a :class:`Signer` (the platform never hands a
private key to an adapter) and sent raw, so the three behave alike. Events come decoded from
receipts, or from bounded block ranges; never from a scan of the whole chain.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NewType, Protocol

#: A checksummed 0x-prefixed 20-byte address.
Address = NewType("Address", str)
#: A 0x-prefixed 32-byte transaction hash.
TxHash = NewType("TxHash", str)

#: The most blocks one :meth:`Chain.events` call may span (nodes refuse or time out on more).
MAX_EVENT_SPAN = 2_000


class ChainError(Exception):
    """The chain could not do what was asked (a reason the operator can read)."""


class ChainUnavailable(ChainError):
    """The node does not answer, or its circuit breaker is open: retry later."""


class TransactionReverted(ChainError):
    """A transaction was mined but reverted (or would revert: its gas estimate failed)."""

    def __init__(self, reason: str, receipt: Receipt | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.receipt = receipt


@dataclass(frozen=True, slots=True)
class ChainEvent:
    """One decoded log. Addresses in `args` are checksummed; bytes are 0x-hex strings."""

    name: str
    address: Address
    args: Mapping[str, Any]
    block: int
    tx_hash: TxHash
    log_index: int


@dataclass(frozen=True, slots=True)
class Receipt:
    """A mined transaction that succeeded, with its events decoded by Liquibond's ABIs."""

    tx_hash: TxHash
    block: int
    gas_used: int
    events: tuple[ChainEvent, ...] = ()
    #: The new contract's address, for a deployment.
    contract_address: Address | None = None

    def named(self, name: str) -> list[ChainEvent]:
        """The receipt's events called `name`, in log order."""
        return [event for event in self.events if event.name == name]


@dataclass(frozen=True, slots=True)
class Call:
    """A function of a deployed Liquibond contract, with its arguments."""

    contract: str  # the artifact's name: "BondToken", "CashToken", "IdentityRegistry", "DvP"
    address: Address
    function: str
    args: tuple[Any, ...] = field(default=())


class Signer(Protocol):
    """Holds private keys and signs with them; keys never leave it."""

    async def sign_transaction(self, address: Address, transaction: Mapping[str, Any]) -> bytes:
        """The raw signed transaction, for `address`'s key; ChainError if it holds no such key."""
        ...


class Chain(Protocol):
    """An EVM chain Liquibond deploys to, transacts on and reads from."""

    #: "embedded", "anvil" or "rpc".
    kind: str
    #: Whether the chain's state survives a restart of Liquibond (the embedded chain's does not).
    persistent: bool

    async def start(self) -> None:
        """Connect (or start the node); ChainUnavailable if it cannot."""
        ...

    async def stop(self) -> None:
        """Disconnect (or stop the node, keeping its state file)."""
        ...

    async def chain_id(self) -> int:
        """The chain id transactions are signed for."""
        ...

    async def block_number(self) -> int:
        """The latest block (on an RPC node: the latest with the configured confirmations)."""
        ...

    async def block_timestamp(self, number: int) -> int:
        """When block `number` was mined, in seconds since the Unix epoch (UTC)."""
        ...

    async def balance(self, address: Address) -> int:
        """The address's native balance in wei (for gas)."""
        ...

    async def fund(self, address: Address, wei: int) -> None:
        """Give `address` gas money from the chain's own funded accounts (development chains
        only: ChainError on a real network, where the operator funds it)."""
        ...

    async def deploy(self, contract: str, args: Sequence[Any], *, sender: Address) -> Receipt:
        """Deploy the committed artifact `contract` with constructor `args`, signed by
        `sender`; the receipt's `contract_address` is the new contract's."""
        ...

    async def send(self, call: Call, *, sender: Address) -> Receipt:
        """Send `call` as a transaction signed by `sender` and wait until it is mined (and, on
        an RPC node, confirmed); TransactionReverted if it reverts."""
        ...

    async def read(self, call: Call, *, block: int | None = None) -> Any:
        """The result of a view function, at `block` (default: latest)."""
        ...

    async def events(
        self, addresses: Sequence[Address], from_block: int, to_block: int
    ) -> list[ChainEvent]:
        """Decoded events the contracts at `addresses` emitted in the inclusive block range, in
        chain order; ValueError if it spans more than MAX_EVENT_SPAN blocks."""
        ...

    async def receipt(self, tx_hash: TxHash) -> Receipt | None:
        """The receipt of a mined transaction, its events decoded; None if the chain knows no
        mined transaction by that hash (unknown, or still waiting to be mined);
        TransactionReverted, with the receipt, if it reverted."""
        ...

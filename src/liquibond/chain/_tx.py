"""What the web3-backed adapters share: a :class:`~liquibond.chain.port.Chain` over a `Web3`.

The embedded and RPC adapters differ only in where web3's blocking calls run (`_run`: one
worker thread; over RPC also retries and a circuit breaker), how they connect, and how they
fund. Everything else is here: nonces per sender, gas estimation, EIP-1559 fees, signing by
the injected :class:`~liquibond.chain.port.Signer`, sending raw, waiting for the receipt (and
its confirmations), revert reasons, reads and bounded event queries.
"""

from __future__ import annotations

import asyncio
import functools
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ClassVar, TypeVar

from eth_typing import HexStr
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from web3 import Web3
from web3.exceptions import ContractLogicError, TransactionNotFound
from web3.types import BlockIdentifier, FilterParams, TxParams, TxReceipt, Wei

from .artifacts import as_hex, decode_logs, decode_result, encode_call, encode_deploy
from .port import (
    MAX_EVENT_SPAN,
    Address,
    Call,
    ChainError,
    ChainEvent,
    ChainUnavailable,
    Receipt,
    Signer,
    TransactionReverted,
    TxHash,
)

T = TypeVar("T")

REVERTED = "execution reverted"


def revert_reason(error: BaseException) -> str:
    """The contract's reason in a revert error's message ("execution reverted" if none)."""
    message = getattr(error, "message", None) or str(error)
    reason = message.removeprefix(REVERTED).removeprefix(":").strip()
    # eth-tester words a revert without data as "b''"
    return reason if reason not in ("", "b''") else REVERTED


def to_receipt(receipt: TxReceipt) -> Receipt:
    """A node's receipt as the port's, its logs decoded by the artifacts' ABIs."""
    created = receipt.get("contractAddress")
    return Receipt(
        tx_hash=TxHash(as_hex(receipt["transactionHash"])),
        block=receipt["blockNumber"],
        gas_used=receipt["gasUsed"],
        events=decode_logs(receipt["logs"]),
        contract_address=Address(to_checksum_address(created)) if created else None,
    )


def _send_raw(w3: Web3, raw: bytes) -> None:
    w3.eth.send_raw_transaction(raw)


def _is_nonce_error(error: BaseException) -> bool:
    message = str(getattr(error, "message", None) or error).lower()
    return "nonce" in message or "replacement transaction" in message


class Web3Chain(ABC):
    """A Chain over a `Web3`, whose calls the subclass runs in `_run`."""

    kind: str
    persistent: bool
    #: The exceptions by which web3 (or its backend) reports that the EVM reverted.
    reverts: ClassVar[tuple[type[Exception], ...]] = (ContractLogicError,)

    def __init__(
        self,
        signer: Signer,
        *,
        confirmations: int = 0,
        gas_margin: float = 1.0,
        poll_interval: float = 0.05,
        receipt_timeout: float = 120.0,
    ) -> None:
        self._signer = signer
        self._confirmations = confirmations
        self._gas_margin = gas_margin
        self._poll_interval = poll_interval
        self._receipt_timeout = receipt_timeout
        self._chain_id: int | None = None
        #: The next nonce of each sender; absent: ask the node for its pending count.
        self._nonces: dict[Address, int] = {}
        self._locks: dict[Address, asyncio.Lock] = {}
        #: The one worker thread every web3 call runs on, and the client it runs them with.
        self._executor: ThreadPoolExecutor | None = None
        self._w3: Web3 | None = None

    async def _connect(self, make: Callable[[], Web3], thread_name: str) -> None:
        """Create the web3 client on the adapter's worker thread (a no-op once connected)."""
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=thread_name)
            self._w3 = await asyncio.get_running_loop().run_in_executor(self._executor, make)

    async def stop(self) -> None:
        """Disconnect, forgetting what was learnt from the node (an embedded chain's state
        goes with it)."""
        executor, self._executor, self._w3 = self._executor, None, None
        self._chain_id = None
        self._nonces.clear()
        if executor is not None:
            await asyncio.to_thread(executor.shutdown)

    def _worker(self) -> tuple[ThreadPoolExecutor, Web3]:
        """The worker thread and its client; ChainUnavailable when not connected."""
        if self._executor is None or self._w3 is None:
            raise ChainUnavailable(f"the {self.kind} chain is not connected")
        return self._executor, self._w3

    @abstractmethod
    async def _run(self, fn: Callable[[Web3], T]) -> T:
        """`fn(web3)`, run where this adapter runs web3's blocking calls."""

    async def chain_id(self) -> int:
        """The chain id transactions are signed for."""
        if self._chain_id is None:
            self._chain_id = await self._run(lambda w3: w3.eth.chain_id)
        return self._chain_id

    async def block_number(self) -> int:
        """The latest block less the configured confirmations."""
        latest = await self._run(lambda w3: w3.eth.block_number)
        return max(latest - self._confirmations, 0)

    async def block_timestamp(self, number: int) -> int:
        """When block `number` was mined, in seconds since the Unix epoch."""
        return int(await self._run(lambda w3: w3.eth.get_block(number)["timestamp"]))

    async def balance(self, address: Address) -> int:
        """The address's native balance in wei."""
        return int(await self._run(lambda w3: w3.eth.get_balance(to_checksum_address(address))))

    async def deploy(self, contract: str, args: Sequence[Any], *, sender: Address) -> Receipt:
        """Deploy the artifact `contract` with constructor `args`, signed by `sender`."""
        return await self._transact(sender, None, encode_deploy(contract, args))

    async def send(self, call: Call, *, sender: Address) -> Receipt:
        """Send `call` signed by `sender`; TransactionReverted if it reverts."""
        return await self._transact(sender, call.address, encode_call(call))

    async def read(self, call: Call, *, block: int | None = None) -> Any:
        """The result of a view function at `block` (default: latest)."""
        request: TxParams = {
            "to": to_checksum_address(call.address),
            "data": as_hex(encode_call(call)),
        }
        at: BlockIdentifier = "latest" if block is None else block
        try:
            data = await self._run(lambda w3: w3.eth.call(request, at))
        except self.reverts as error:
            raise TransactionReverted(revert_reason(error)) from error
        return decode_result(call, bytes(data))

    async def events(
        self, addresses: Sequence[Address], from_block: int, to_block: int
    ) -> list[ChainEvent]:
        """The decoded events of `addresses` in the inclusive block range, in chain order
        (none if the range is empty); ValueError beyond MAX_EVENT_SPAN blocks."""
        if to_block - from_block + 1 > MAX_EVENT_SPAN:
            raise ValueError(
                f"blocks {from_block}-{to_block} span more than {MAX_EVENT_SPAN} blocks"
            )
        if not addresses or to_block < from_block:
            return []
        query: FilterParams = {
            "address": [to_checksum_address(address) for address in addresses],
            "fromBlock": from_block,
            "toBlock": to_block,
        }
        logs = await self._run(lambda w3: w3.eth.get_logs(query))
        return sorted(decode_logs(logs), key=lambda event: (event.block, event.log_index))

    async def _transact(self, sender: Address, to: Address | None, data: bytes) -> Receipt:
        request: TxParams = {
            "from": to_checksum_address(sender),
            "data": as_hex(data),
            "value": Wei(0),
        }
        if to is not None:
            request["to"] = to_checksum_address(to)
        # The lock orders one sender's nonces; it is released before the receipt is awaited,
        # so a sender's transactions are mined concurrently.
        async with self._locks.setdefault(sender, asyncio.Lock()):
            tx_hash = await self._submit(sender, request)
        receipt = await self._wait(tx_hash)
        if receipt["status"] != 1:
            reason = await self._replay(request, receipt["blockNumber"])
            raise TransactionReverted(reason, to_receipt(receipt))
        return to_receipt(receipt)

    async def _submit(self, sender: Address, request: TxParams) -> TxHash:
        """Build, sign and send `request` from `sender`; its hash once the node has it."""
        for attempt in range(2):
            transaction = await self._build(sender, request)
            raw = await self._signer.sign_transaction(sender, transaction)
            tx_hash = TxHash(as_hex(keccak(raw)))
            try:
                await self._run(functools.partial(_send_raw, raw=raw))
            except Exception as error:
                self._nonces.pop(sender, None)  # resync from the node's pending count
                if not await self._known(tx_hash):  # else an attempt the error hid got through
                    if attempt == 0 and _is_nonce_error(error):
                        continue
                    if isinstance(error, ChainError):
                        raise
                    raise ChainError(f"the node refused the transaction: {error}") from error
            self._nonces[sender] = transaction["nonce"] + 1
            return tx_hash
        raise AssertionError("unreachable: the second attempt returns or raises")

    def _gas(self, w3: Web3, request: TxParams, block_gas_limit: int) -> int:
        """The gas limit of `request` (run by `_run`): its estimate with the margin."""
        return min(int(w3.eth.estimate_gas(request) * self._gas_margin), block_gas_limit)

    async def _build(self, sender: Address, request: TxParams) -> dict[str, Any]:
        """`request` as an EIP-1559 transaction: nonce, gas and fees."""
        nonce = self._nonces.get(sender)
        checksummed = to_checksum_address(sender)

        def build(w3: Web3) -> dict[str, Any]:
            latest = w3.eth.get_block("latest")
            tip = w3.eth.max_priority_fee
            return {
                "gas": self._gas(w3, request, latest["gasLimit"]),
                "nonce": w3.eth.get_transaction_count(checksummed, "pending")
                if nonce is None
                else nonce,
                "maxFeePerGas": 2 * latest["baseFeePerGas"] + tip,
                "maxPriorityFeePerGas": tip,
            }

        try:
            fields = await self._run(build)
        except self.reverts as error:
            raise TransactionReverted(revert_reason(error)) from error
        except ChainError:
            raise
        except Exception as error:  # e.g. the sender cannot pay for the gas
            raise ChainError(f"the transaction cannot be sent: {error}") from error
        transaction = {key: value for key, value in request.items() if key != "from"}
        return {"type": 2, "chainId": await self.chain_id(), **transaction, **fields}

    async def _known(self, tx_hash: TxHash) -> bool:
        try:
            await self._run(lambda w3: w3.eth.get_transaction(HexStr(tx_hash)))
        except TransactionNotFound:
            return False
        return True

    async def _wait(self, tx_hash: TxHash) -> TxReceipt:
        """The transaction's receipt, once it is mined and `confirmations` blocks deep."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._receipt_timeout
        while True:
            try:
                receipt = await self._run(
                    lambda w3: w3.eth.get_transaction_receipt(HexStr(tx_hash))
                )
            except TransactionNotFound:
                pass
            else:
                if self._confirmations == 0:
                    return receipt
                latest = await self._run(lambda w3: w3.eth.block_number)
                if latest >= receipt["blockNumber"] + self._confirmations:
                    return receipt
            if loop.time() > deadline:
                raise ChainError(
                    f"transaction {tx_hash} not confirmed in {self._receipt_timeout} s"
                )
            await asyncio.sleep(self._poll_interval)

    async def _replay(self, request: TxParams, block: int) -> str:
        """Why a mined transaction reverted: its revert reason replayed on the block before."""
        try:
            await self._run(lambda w3: w3.eth.call(request, block - 1))
        except self.reverts as error:
            return revert_reason(error)
        return f"{REVERTED} (on chain, in block {block})"

    async def receipt(self, tx_hash: TxHash) -> Receipt | None:
        """The mined transaction's receipt, its logs decoded (None if the node knows no mined
        transaction by that hash); TransactionReverted, with the receipt, if it reverted."""
        try:
            mined = await self._run(lambda w3: w3.eth.get_transaction_receipt(HexStr(tx_hash)))
        except TransactionNotFound:
            return None
        if mined["status"] != 1:
            reason = f"{REVERTED} (on chain, in block {mined['blockNumber']})"
            raise TransactionReverted(reason, to_receipt(mined))
        return to_receipt(mined)

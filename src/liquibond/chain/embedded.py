"""The embedded chain: py-evm in process through eth-tester (state lost when Liquibond stops).

eth-tester is not thread-safe, so every web3 call runs on one dedicated worker thread. It
mines each transaction as it arrives, one block per transaction.

Gas is not estimated: py-evm's estimate is a binary search that runs the transaction a dozen
times or more (nine tenths of the time of a DvP batch). One `eth_call` tells whether it would
revert, and why; the transaction then gets the block's gas limit, and what it does not use
is refunded.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import ClassVar, TypeVar

from eth_tester import EthereumTester, PyEVMBackend  # type: ignore[import-untyped]
from eth_tester.exceptions import TransactionFailed  # type: ignore[import-untyped]
from eth_utils.address import to_checksum_address
from web3 import EthereumTesterProvider, Web3
from web3.exceptions import ContractLogicError
from web3.types import TxParams, Wei

from ._tx import Web3Chain
from .port import Address, ChainError, Signer

T = TypeVar("T")


class EmbeddedChain(Web3Chain):
    """A fresh in-process chain whose prefunded accounts fund Liquibond's wallets."""

    kind = "embedded"
    persistent = False
    reverts: ClassVar[tuple[type[Exception], ...]] = (ContractLogicError, TransactionFailed)

    def __init__(self, signer: Signer) -> None:
        super().__init__(signer)

    async def start(self) -> None:
        """Create the chain (on its worker thread); a no-op if it is running."""
        await self._connect(self._create, "embedded-chain")

    @staticmethod
    def _create() -> Web3:
        # eth-tester's block gas limit (30 million) holds a DvP batch of 500 (about 17 million)
        return Web3(EthereumTesterProvider(EthereumTester(PyEVMBackend())))

    async def _run(self, fn: Callable[[Web3], T]) -> T:
        executor, w3 = self._worker()
        return await asyncio.get_running_loop().run_in_executor(executor, fn, w3)

    def _gas(self, w3: Web3, request: TxParams, block_gas_limit: int) -> int:
        w3.eth.call(request)  # raises the revert reason
        return block_gas_limit

    async def fund(self, address: Address, wei: int) -> None:
        """Send `wei` to `address` from one of eth-tester's prefunded accounts."""

        def transfer(w3: Web3) -> int:
            tx_hash = w3.eth.send_transaction(
                {"from": w3.eth.accounts[0], "to": to_checksum_address(address), "value": Wei(wei)}
            )
            return w3.eth.wait_for_transaction_receipt(tx_hash)["status"]

        if await self._run(transfer) != 1:
            raise ChainError(f"funding {address} failed")

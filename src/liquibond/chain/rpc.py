"""The RPC chain: any Ethereum node by JSON-RPC URL (a public network, a private one, anvil).

web3's blocking HTTP calls run on one worker thread per chain. A transport failure (the node
does not answer) is retried with exponential backoff; a node that keeps failing opens a
circuit breaker, so calls fail fast with ChainUnavailable until a probe gets through. Errors
the node answers with (a revert, a refused transaction) are not retried.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TypeVar

import requests
from eth_utils.address import to_checksum_address
from web3 import HTTPProvider, Web3
from web3.exceptions import ProviderConnectionError, RequestTimedOut, TooManyRequests
from web3.types import RPCEndpoint

from ._tx import Web3Chain
from .port import Address, ChainError, ChainUnavailable, Signer

T = TypeVar("T")

#: What a node that does not answer (or is overloaded) raises.
TRANSPORT_ERRORS: tuple[type[Exception], ...] = (
    requests.RequestException,
    ProviderConnectionError,
    RequestTimedOut,
    TooManyRequests,
    OSError,
)


class CircuitBreaker:
    """Opens after `threshold` consecutive transport failures; while open, calls fail fast
    until `cooldown` seconds have passed, then one probe call decides: success closes it,
    failure opens it again."""

    def __init__(
        self, threshold: int, cooldown: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._threshold = threshold
        self._cooldown = cooldown
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._probing = False

    @property
    def is_open(self) -> bool:
        """Whether calls fail fast (or wait for the probe)."""
        return self._opened_at is not None

    def allow(self) -> None:
        """Let a call through, or raise ChainUnavailable if the breaker is open."""
        if self._opened_at is None:
            return
        if self._probing or self._clock() - self._opened_at < self._cooldown:
            raise ChainUnavailable("the node's circuit breaker is open: retry later")
        self._probing = True

    def succeeded(self) -> None:
        """The node answered: close the breaker."""
        self._failures = 0
        self._opened_at = None
        self._probing = False

    def failed(self) -> None:
        """The node did not answer: one more failure (a failed probe reopens the breaker)."""
        self._failures += 1
        if self._probing or self._failures >= self._threshold:
            self._opened_at = self._clock()
        self._probing = False

    def abandoned(self) -> None:
        """A call was cancelled before the node answered: a pending probe may run again."""
        self._probing = False


class RpcChain(Web3Chain):
    """A chain behind a JSON-RPC URL, with `confirmations` blocks of finality."""

    kind = "rpc"
    persistent = True

    def __init__(
        self,
        signer: Signer,
        url: str,
        *,
        confirmations: int = 0,
        gas_margin: float = 1.2,
        timeout: float = 10.0,
        retries: int = 3,
        backoff: float = 0.2,
        failure_threshold: int = 5,
        cooldown: float = 30.0,
        poll_interval: float = 0.5,
        receipt_timeout: float = 300.0,
    ) -> None:
        super().__init__(
            signer,
            confirmations=confirmations,
            gas_margin=gas_margin,
            poll_interval=poll_interval,
            receipt_timeout=receipt_timeout,
        )
        self.url = url
        self.breaker = CircuitBreaker(failure_threshold, cooldown)
        self._timeout = timeout
        self._retries = retries
        self._backoff = backoff
        self._dev_node = False

    async def start(self) -> None:
        """Connect to the node; ChainUnavailable if it does not answer."""
        provider = HTTPProvider(
            self.url,
            request_kwargs={"timeout": self._timeout},
            exception_retry_configuration=None,  # retried here, under the breaker
        )
        await self._connect(lambda: Web3(provider), "rpc-chain")
        await self.chain_id()
        version = await self._run(lambda w3: w3.client_version)
        self._dev_node = version.lower().startswith("anvil/")

    async def _run(self, fn: Callable[[Web3], T]) -> T:
        executor, w3 = self._worker()
        loop = asyncio.get_running_loop()
        attempt = 0
        while True:
            self.breaker.allow()
            try:
                result = await loop.run_in_executor(executor, fn, w3)
            except TRANSPORT_ERRORS as error:
                self.breaker.failed()
                if attempt >= self._retries:
                    raise ChainUnavailable(f"{self.url} does not answer: {error}") from error
            except Exception:
                self.breaker.succeeded()  # the node answered, with an error
                raise
            except BaseException:
                self.breaker.abandoned()
                raise
            else:
                self.breaker.succeeded()
                return result
            await asyncio.sleep(self._backoff * 2**attempt)
            attempt += 1

    async def fund(self, address: Address, wei: int) -> None:
        """Add `wei` to `address`'s balance on an anvil node; ChainError on any other node."""
        if not self._dev_node:
            raise ChainError(f"{self.url} is not a development node: fund {address} yourself")
        balance = await self.balance(address)

        def set_balance(w3: Web3) -> None:
            response = w3.provider.make_request(
                RPCEndpoint("anvil_setBalance"), [to_checksum_address(address), hex(balance + wei)]
            )
            if "error" in response:
                raise ChainError(f"funding {address} failed: {response['error']}")

        await self._run(set_balance)

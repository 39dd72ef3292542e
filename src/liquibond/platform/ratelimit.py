"""Token-bucket rate limits: in-process by default, Redis-backed when configured."""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from redis.asyncio import Redis

from liquibond.platform.errors import TooManyRequests


@dataclass(frozen=True, slots=True)
class Rate:
    """`capacity` requests at once, refilled evenly over `per_seconds`."""

    capacity: int
    per_seconds: float

    @property
    def refill_per_second(self) -> float:
        """Tokens added each second."""
        return self.capacity / self.per_seconds


class RateLimiter(Protocol):
    """Takes one token for `key`; returns seconds to wait (0 when allowed)."""

    async def acquire(self, key: str, rate: Rate) -> float:
        """Take a token or say how long until one is available."""


class InProcessRateLimiter:
    """Token buckets in this process's memory, bounded in size (oldest keys evicted)."""

    def __init__(self, *, max_keys: int = 100_000, clock: Callable[[], float] = time.monotonic):
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._max_keys = max_keys
        self._clock = clock

    async def acquire(self, key: str, rate: Rate) -> float:
        """Take a token or say how long until one is available."""
        now = self._clock()
        tokens, updated = self._buckets.pop(key, (float(rate.capacity), now))
        tokens = min(rate.capacity, tokens + (now - updated) * rate.refill_per_second)
        wait = 0.0
        if tokens >= 1:
            tokens -= 1
        else:
            wait = (1 - tokens) / rate.refill_per_second
        self._buckets[key] = (tokens, now)
        while len(self._buckets) > self._max_keys:
            self._buckets.popitem(last=False)
        return wait


# KEYS[1]=bucket; ARGV: capacity, refill/s. Uses the server's clock so workers agree.
_BUCKET_LUA = """
local capacity = tonumber(ARGV[1])
local refill = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'updated')
local tokens = tonumber(state[1]) or capacity
local updated = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + (now - updated) * refill)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = (1 - tokens) / refill end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'updated', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(capacity / refill) + 1)
return tostring(wait)
"""


class RedisRateLimiter:
    """Token buckets in Redis, shared by every API worker."""

    def __init__(self, redis: Redis, *, prefix: str = "liquibond:rl:") -> None:
        self._redis = redis
        self._prefix = prefix
        self._script = redis.register_script(_BUCKET_LUA)

    async def acquire(self, key: str, rate: Rate) -> float:
        """Take a token or say how long until one is available."""
        wait = await self._script(
            keys=[self._prefix + key], args=[rate.capacity, rate.refill_per_second]
        )
        return float(wait)


async def enforce(limiter: RateLimiter, rate: Rate, *keys: str) -> None:
    """Take a token from every bucket named; 429 with Retry-After if any is empty."""
    waits = [await limiter.acquire(key, rate) for key in keys]
    wait = max(waits, default=0.0)
    if wait > 0:
        retry_after = max(1, math.ceil(wait))
        raise TooManyRequests(
            code="rate_limit.exceeded",
            detail=f"Too many attempts; retry in {retry_after} s.",
            headers={"Retry-After": str(retry_after)},
        )

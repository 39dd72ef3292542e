"""Rate limits on login and registration: token buckets, in process and in Redis."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest
from redis.asyncio import Redis

from liquibond.app import create_app
from liquibond.platform.ratelimit import InProcessRateLimiter, Rate, RedisRateLimiter
from tests.conftest import FAST_PASSWORDS, REDIS_URL, make_settings, service_url, started
from tests.helpers import assert_problem, register


async def test_eleventh_bad_login_in_a_minute_from_one_ip_is_429(client: httpx.AsyncClient) -> None:
    for attempt in range(10):
        response = await client.post(
            "/api/v1/auth/login",
            # Different accounts, so only the per-IP bucket can trip.
            json={"email": f"nobody{attempt}@example.com", "password": "wrong password"},
        )
        assert_problem(response, 401, "auth.invalid_credentials")
    eleventh = await client.post(
        "/api/v1/auth/login", json={"email": "nobody10@example.com", "password": "wrong password"}
    )
    assert_problem(eleventh, 429, "rate_limit.exceeded")
    assert 1 <= int(eleventh.headers["retry-after"]) <= 60


async def test_one_account_is_limited_across_ips(app, client: httpx.AsyncClient) -> None:  # type: ignore[no-untyped-def]
    user = await register(client)
    statuses = []
    for attempt in range(11):
        transport = httpx.ASGITransport(app=app, client=(f"198.51.100.{attempt}", 1234))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as other_ip:
            response = await other_ip.post(
                "/api/v1/auth/login", json={"email": user["email"], "password": "wrong password"}
            )
            statuses.append(response.status_code)
    assert statuses == [401] * 10 + [429]


async def test_in_process_bucket_refills_over_time() -> None:
    now = [0.0]
    limiter = InProcessRateLimiter(clock=lambda: now[0])
    rate = Rate(capacity=2, per_seconds=10)
    assert await limiter.acquire("k", rate) == 0
    assert await limiter.acquire("k", rate) == 0
    assert await limiter.acquire("k", rate) == pytest.approx(5.0)
    now[0] = 5.0
    assert await limiter.acquire("k", rate) == 0
    assert await limiter.acquire("other", rate) == 0


async def test_in_process_limiter_is_bounded() -> None:
    limiter = InProcessRateLimiter(max_keys=3)
    rate = Rate(capacity=1, per_seconds=60)
    for key in "abcd":
        await limiter.acquire(key, rate)
    assert await limiter.acquire("a", rate) == 0  # evicted, so a fresh bucket


async def test_redis_bucket_is_shared() -> None:
    redis = Redis.from_url(service_url("redis", REDIS_URL))
    try:
        first, second = RedisRateLimiter(redis), RedisRateLimiter(redis)  # two "workers"
        rate = Rate(capacity=3, per_seconds=60)
        key = f"test:{uuid.uuid4()}"
        waits = [await limiter.acquire(key, rate) for limiter in (first, second, first, second)]
        assert waits[:3] == [0, 0, 0]
        assert waits[3] == pytest.approx(20.0, abs=0.5)
    finally:
        await redis.aclose()


async def test_app_uses_redis_when_configured(database_url: str, tmp_path: Path) -> None:
    settings = make_settings(database_url, tmp_path, redis_url=service_url("redis", REDIS_URL))
    application = create_app(settings, passwords=FAST_PASSWORDS)
    async with started(application):
        assert isinstance(application.state.rate_limiter, RedisRateLimiter)
        ip = f"192.0.2.{uuid.uuid4().int % 250}"
        transport = httpx.ASGITransport(app=application, client=(ip, 1))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            codes = [
                (
                    await http.post(
                        "/api/v1/auth/login",
                        json={"email": f"{uuid.uuid4().hex}@x.io", "password": "nope"},
                    )
                ).status_code
                for _ in range(11)
            ]
    assert codes == [401] * 10 + [429]

"""Payments tests: the sandbox rail answers at once (no artificial delay)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from liquibond.config import Settings
from tests.conftest import make_settings
from tests.helpers import LoggedIn, register_and_login
from tests.kyc.helpers import VERIFIED_FULL, a_pan, submitted


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """Settings with an instant sandbox rail."""
    return make_settings(database_url, tmp_path, sandbox_rail_delay_seconds=0)


async def verified_investor(client: httpx.AsyncClient) -> LoggedIn:
    """A user whose KYC the sandbox provider verified."""
    user = await register_and_login(client, "payer")
    await submitted(client, user, a_pan(VERIFIED_FULL))
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        status = (await client.get("/api/v1/kyc", headers=user.headers)).json()["status"]
        if status == "verified":
            return user
        await asyncio.sleep(0.02)
    raise AssertionError(f"KYC still {status}")


async def settle(app: FastAPI) -> None:
    """Let the sandbox rail deliver every outstanding webhook."""
    await app.state.payment_rail.drain()


async def balances(client: httpx.AsyncClient, user: LoggedIn) -> dict[tuple[str, str], int]:
    """My balances keyed by (asset, bucket)."""
    rows: list[dict[str, Any]] = (await client.get("/api/v1/accounts", headers=user.headers)).json()
    return {(row["asset"], row["bucket"]): row["balance"] for row in rows}

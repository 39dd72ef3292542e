"""The demo faucet funds new users in demo mode, once, and never outside it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from liquibond.app import create_app
from liquibond.config import ConfigurationError, Environment, Settings
from liquibond.payments.faucet import FAUCET_AMOUNT
from liquibond.platform.outbox import Event, OutboxRow
from liquibond.platform.uow import UnitOfWork
from tests.conftest import FAST_PASSWORDS, make_settings, started
from tests.helpers import register_and_login
from tests.payments.conftest import balances


async def test_demo_mode_funds_each_new_user_once(database_url: str, tmp_path: Path) -> None:
    application = create_app(
        make_settings(database_url, tmp_path, demo_mode=True), passwords=FAST_PASSWORDS
    )
    async with started(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            user = await register_and_login(client)
            for _ in range(100):
                if await balances(client, user):
                    break
                await asyncio.sleep(0.02)
            # At-least-once delivery: the same event arriving again must not pay twice.
            async with UnitOfWork(application.state.database, write=False) as uow:
                row = await uow.session.scalar(
                    select(OutboxRow).where(OutboxRow.type == "user.registered.v1")
                )
            assert row is not None
            await application.state.bus.publish(
                Event(row.event_id, row.type, row.occurred_at, row.data)
            )
            assert await balances(client, user) == {("INR", "available"): FAUCET_AMOUNT}


async def test_no_faucet_outside_demo_mode(client: httpx.AsyncClient) -> None:
    user = await register_and_login(client)
    await asyncio.sleep(0.2)
    assert await balances(client, user) == {}


def test_demo_mode_is_refused_in_production(tmp_path: Path) -> None:
    with pytest.raises((ConfigurationError, ValueError), match="DEMO_MODE"):
        Settings(
            env=Environment.PRODUCTION,
            data_dir=tmp_path,
            secret_key="s" * 64,
            encryption_key="A" * 43 + "=",
            demo_mode=True,
        )

"""Shared fixtures: the real app over HTTP, on SQLite and (when configured) PostgreSQL.

PostgreSQL and Redis tests run when LIQUIBOND_TEST_POSTGRES_URL / LIQUIBOND_TEST_REDIS_URL are
set. Locally they skip and say so; in CI (LIQUIBOND_TEST_REQUIRE_SERVICES=1) a missing
service is an error.
"""

from __future__ import annotations

import asyncio
import base64
import os
import secrets
import shutil
import uuid
from collections.abc import AsyncIterator, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.engine import make_url

from liquibond.app import create_app
from liquibond.config import Environment, Settings
from liquibond.identity.credentials import Passwords
from liquibond.ledger.service import LedgerService
from liquibond.models import metadata
from liquibond.platform import migrations
from liquibond.platform.db import Database, create_engine
from liquibond.platform.uow import UnitOfWork

POSTGRES_URL = os.environ.get("LIQUIBOND_TEST_POSTGRES_URL")
REDIS_URL = os.environ.get("LIQUIBOND_TEST_REDIS_URL")
REQUIRE_SERVICES = os.environ.get("LIQUIBOND_TEST_REQUIRE_SERVICES") == "1"

# Cheap Argon2 parameters: the tests exercise the flow, not the work factor.
FAST_PASSWORDS = Passwords(time_cost=1, memory_kib=1024, parallelism=1)


def service_url(name: str, url: str | None) -> str:
    """The URL of an external test service, or skip (locally) / fail (in CI) without it."""
    if url:
        return url
    message = f"{name} tests need LIQUIBOND_TEST_{name.upper()}_URL"
    if REQUIRE_SERVICES:
        pytest.fail(f"{message} (required in CI)")
    pytest.skip(f"{message}; skipped locally")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for every test (faster than migrating each time)."""
    path = tmp_path_factory.mktemp("template") / "liquibond.db"
    migrations.upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this test session."""
    base = make_url(service_url("postgres", POSTGRES_URL))
    name = f"liquibond_test_{os.getpid()}_{secrets.token_hex(3)}"
    admin_url = base.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)
    url = base.set(drivername="postgresql+asyncpg", database=name).render_as_string(
        hide_password=False
    )

    async def execute(statement: str) -> None:
        engine = create_engine(admin_url)
        async with engine.connect() as conn:
            await (await conn.execution_options(isolation_level="AUTOCOMMIT")).execute(
                text(statement)
            )
        await engine.dispose()

    _run_in_thread(execute(f'CREATE DATABASE "{name}"'))
    migrations.upgrade(url)
    _run_in_thread(_snapshot_seed_rows(url))
    yield url
    _run_in_thread(execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _run_in_thread(coroutine: Coroutine[Any, Any, None]) -> None:
    # Session fixtures may be first requested from inside a running event loop.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, coroutine).result()


_SEED_ROWS: dict[str, list[dict[str, Any]]] = {}


async def _snapshot_seed_rows(url: str) -> None:
    """Remember the rows migrations seed (assets, the audit head), to restore after each reset."""
    engine = create_engine(url)
    async with engine.connect() as conn:
        for table in metadata.sorted_tables:
            rows = (await conn.execute(table.select())).mappings().all()
            if rows:
                _SEED_ROWS[table.name] = [dict(row) for row in rows]
    await engine.dispose()


async def _reset_postgres(url: str) -> None:
    engine = create_engine(url)
    if migrations.pending_revisions(await migrations.current_revisions(engine)):
        # An earlier test migrated down; bring the schema back before emptying it.
        await asyncio.to_thread(migrations.upgrade, url)
    tables = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    async with engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        for table in metadata.sorted_tables:
            if table.name in _SEED_ROWS:
                await conn.execute(table.insert(), _SEED_ROWS[table.name])
    await engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    """Which database the test runs on."""
    return str(request.param)


@pytest.fixture
async def database_url(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[str]:
    """An empty, migrated database of the test's backend. Whatever the test did, the ledger
    must still balance afterwards (`liquibond ledger verify` over every test's traffic)."""
    if backend == "sqlite":
        path = tmp_path / "liquibond.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite+aiosqlite:///{path}"
    else:
        url = request.getfixturevalue("postgres_database")
        await _reset_postgres(url)
    yield url
    if request.node.get_closest_marker("corrupts_ledger") is None:
        await _assert_ledger_balances(url)


async def _assert_ledger_balances(url: str) -> None:
    database = Database(url)
    try:
        if migrations.pending_revisions(await migrations.current_revisions(database.engine)):
            return  # the test migrated down; there is no ledger to check
        async with UnitOfWork(database, write=False) as uow:
            breaks = await LedgerService(uow.session).verify()
        assert breaks == [], f"the test left the ledger unbalanced: {breaks}"
    finally:
        await database.dispose()


def make_settings(database_url: str, data_dir: Path, **overrides: object) -> Settings:
    """Test settings: explicit secrets, the given database, no Redis unless asked."""
    values: dict[str, object] = {
        "env": Environment.TEST,
        "database_url": database_url,
        "data_dir": data_dir,
        "secret_key": secrets.token_urlsafe(32),
        "encryption_key": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "outbox_poll_seconds": 0.05,
        "chain": "off",  # the chain's tests turn it on: deploying at every start costs time
        **overrides,
    }
    return Settings.model_validate(values)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """Settings for the app under test."""
    return make_settings(database_url, tmp_path)


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    """The real application, started (lifespan run) against the test database."""
    application = create_app(settings, passwords=FAST_PASSWORDS)
    async with started(application):
        yield application


def started(application: FastAPI) -> LifespanManager:
    """Run the app's lifespan, with room for a loaded CI machine (the library's 5 s is not)."""
    return LifespanManager(application, startup_timeout=60, shutdown_timeout=60)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the app in-process."""
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://liquibond.test") as http:
        yield http


def unique_email(prefix: str = "user") -> str:
    """An e-mail no other test uses."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.com"

"""Migrations run up and down cleanly, and the models match the migrated schema."""

from __future__ import annotations

import asyncio

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from liquibond.models import metadata
from liquibond.platform import migrations
from liquibond.platform.db import create_engine


def _diff(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def _inspect(url: str) -> tuple[list[object], set[str], frozenset[str]]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            diff = await connection.run_sync(_diff)
            tables = await connection.run_sync(_tables)
        return diff, tables, await migrations.current_revisions(engine)
    finally:
        await engine.dispose()


async def test_up_down_up_and_no_drift(database_url: str) -> None:
    diff, tables, revision = await _inspect(database_url)
    assert migrations.pending_revisions(revision) == frozenset()
    assert diff == [], f"models and migrations disagree: {diff}"
    assert {"users", "audit_log", "outbox_events", "idempotency_keys"} <= tables

    await asyncio.to_thread(migrations.downgrade, database_url, "base")
    _, tables, revision = await _inspect(database_url)
    assert revision == frozenset()
    assert tables <= {"alembic_version"}

    await asyncio.to_thread(migrations.upgrade, database_url)
    diff, _, revision = await _inspect(database_url)
    assert migrations.pending_revisions(revision) == frozenset() and diff == []

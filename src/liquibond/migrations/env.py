"""Alembic environment: runs migrations on the async engine of either database."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from liquibond.models import metadata
from liquibond.platform.db import SQLITE_WRITE, create_engine

config = context.config


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things; batch mode rebuilds tables
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async(url: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            # SQLite: take the write lock at BEGIN, so a running server's reads can't wedge us.
            await connection.execution_options(**{SQLITE_WRITE: True})
            await connection.run_sync(_run)
    finally:
        await engine.dispose()


def run() -> None:
    """Use the connection handed over by the caller, or open one from the configured URL."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("sqlalchemy.url is not configured")
    asyncio.run(_run_async(url))


if context.is_offline_mode():
    raise RuntimeError("offline (SQL script) migrations are not supported; run them live")
run()

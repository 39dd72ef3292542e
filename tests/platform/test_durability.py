"""A commit is durable before it is acknowledged, on both databases."""

from __future__ import annotations

from sqlalchemy import text

from liquibond.platform.db import Database


async def test_commits_wait_for_the_disk(database_url: str) -> None:
    database = Database(database_url)
    try:
        async with database.engine.connect() as connection:
            if database.is_sqlite:
                journal = (await connection.exec_driver_sql("PRAGMA journal_mode")).scalar()
                synchronous = (await connection.exec_driver_sql("PRAGMA synchronous")).scalar()
                assert (journal, synchronous) == ("wal", 2)  # 2 = FULL
            else:
                setting = (await connection.execute(text("SHOW synchronous_commit"))).scalar()
                assert setting == "on"
    finally:
        await database.dispose()

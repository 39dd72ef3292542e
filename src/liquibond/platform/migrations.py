"""Schema migrations (Alembic), driven from code: the CLI, tests and /readyz use this."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from importlib.resources import files
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from liquibond.platform.db import create_engine


def alembic_config(url: str) -> Config:
    """Alembic configuration pointing at the packaged migration scripts and `url`."""
    config = Config()
    config.set_main_option("script_location", str(Path(str(files("liquibond") / "migrations"))))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def _in_thread(fn: Callable[..., object], *args: object) -> None:
    # Alembic's env.py runs its own event loop; keep it off any loop already running here.
    errors: list[BaseException] = []

    def target() -> None:
        try:
            fn(*args)
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the database at `url` up to `revision`."""
    _in_thread(command.upgrade, alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    """Migrate the database at `url` down to `revision` (`base` empties it)."""
    _in_thread(command.downgrade, alembic_config(url), revision)


def head_revision() -> str | None:
    """The newest migration shipped with this code."""
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def current_revision(engine: AsyncEngine) -> str | None:
    """The revision the database is at (None if never migrated)."""
    async with engine.connect() as connection:
        return await connection.run_sync(_current)


def current_revision_sync(url: str) -> str | None:
    """`current_revision` for callers without an event loop (the CLI)."""

    async def read() -> str | None:
        engine = create_engine(url)
        try:
            return await current_revision(engine)
        finally:
            await engine.dispose()

    return asyncio.run(read())

"""Schema migrations (Alembic), driven from code: the CLI, tests and /readyz use this.

The platform's revision `0001` is the root; each domain owns a branch of revisions that
starts from it (`branch_labels=("<domain>",)`, `depends_on` for tables it references), so
domains evolve their schemas independently. "Up to date" means every branch is at its head.
"""

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


def upgrade(url: str, revision: str = "heads") -> None:
    """Migrate the database at `url` up to `revision` (every branch's head by default)."""
    _in_thread(command.upgrade, alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    """Migrate the database at `url` down to `revision` (`base` empties it)."""
    _in_thread(command.downgrade, alembic_config(url), revision)


def _script() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config("sqlite://"))


def head_revisions() -> frozenset[str]:
    """The newest revision of every branch shipped with this code."""
    return frozenset(_script().get_heads())


def pending_revisions(current: frozenset[str]) -> frozenset[str]:
    """Revisions shipped with this code but not applied to a database at `current`."""
    script = _script()
    applied = (
        {r.revision for r in script.iterate_revisions(tuple(current), "base") if r is not None}
        if current
        else set()
    )
    return frozenset(rev.revision for rev in script.walk_revisions()) - applied


def _current(connection: Connection) -> frozenset[str]:
    return frozenset(MigrationContext.configure(connection).get_current_heads())


async def current_revisions(engine: AsyncEngine) -> frozenset[str]:
    """The revisions the database is at (empty if never migrated)."""
    async with engine.connect() as connection:
        return await connection.run_sync(_current)


def current_revisions_sync(url: str) -> frozenset[str]:
    """`current_revisions` for callers without an event loop (the CLI)."""

    async def read() -> frozenset[str]:
        engine = create_engine(url)
        try:
            return await current_revisions(engine)
        finally:
            await engine.dispose()

    return asyncio.run(read())

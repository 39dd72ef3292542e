"""The audit chain: `liquibond audit verify` detects any edit or deletion."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import httpx
from fastapi import FastAPI
from sqlalchemy import text

from liquibond.platform.uow import UnitOfWork
from tests.helpers import register_and_login


async def _verify(database_url: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "LIQUIBOND_DATABASE_URL": database_url,
        "LIQUIBOND_DATA_DIR": str(data_dir),
    }
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "liquibond", "audit", "verify"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


async def _tamper(app: FastAPI, statement: str) -> None:
    async with UnitOfWork(app.state.database) as uow:
        await uow.session.execute(text(statement))
        await uow.commit()


async def _trail(client: httpx.AsyncClient) -> None:
    for _ in range(2):
        await register_and_login(client)  # user.registered + auth.login_succeeded each


async def test_intact_chain_verifies(
    client: httpx.AsyncClient, app: FastAPI, database_url: str, tmp_path: Path
) -> None:
    await _trail(client)
    result = await _verify(database_url, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "intact" in result.stdout


async def test_edited_row_is_detected(
    client: httpx.AsyncClient, app: FastAPI, database_url: str, tmp_path: Path
) -> None:
    await _trail(client)
    await _tamper(app, "UPDATE audit_log SET action = 'auth.logout' WHERE seq = 2")
    result = await _verify(database_url, tmp_path)
    assert result.returncode == 1
    assert "seq 2: row content does not match its hash" in result.stdout


async def test_deleted_middle_row_is_detected(
    client: httpx.AsyncClient, app: FastAPI, database_url: str, tmp_path: Path
) -> None:
    await _trail(client)
    await _tamper(app, "DELETE FROM audit_log WHERE seq = 2")
    result = await _verify(database_url, tmp_path)
    assert result.returncode == 1
    assert "seq 2: rows 2..2 missing" in result.stdout
    assert "seq 3: previous-hash link broken" in result.stdout


async def test_deleted_last_rows_are_detected(
    client: httpx.AsyncClient, app: FastAPI, database_url: str, tmp_path: Path
) -> None:
    await _trail(client)
    await _tamper(app, "DELETE FROM audit_log WHERE seq >= 3")
    result = await _verify(database_url, tmp_path)
    assert result.returncode == 1
    assert "rows deleted" in result.stdout


async def test_rehashed_forgery_still_breaks_the_link(
    client: httpx.AsyncClient, app: FastAPI, database_url: str, tmp_path: Path
) -> None:
    """An attacker who edits a row and recomputes its hash breaks the next row's link."""
    from liquibond.platform.audit import _row_hash  # the forger knows the algorithm

    await _trail(client)
    async with UnitOfWork(app.state.database) as uow:
        row = (
            (await uow.session.execute(text("SELECT * FROM audit_log WHERE seq = 1")))
            .mappings()
            .one()
        )
    forged = _row_hash(
        seq=1,
        occurred_at=_aware(row["occurred_at"]),
        actor_id=None,
        action="user.registered",
        target=row["target"],
        payload={"roles": ["admin"]},
        request_id=row["request_id"],
        prev_hash=row["prev_hash"],
    )
    await _tamper(
        app,
        f'UPDATE audit_log SET actor_id = NULL, payload = \'{{"roles": ["admin"]}}\', '
        f"hash = '{forged}' WHERE seq = 1",
    )
    result = await _verify(database_url, tmp_path)
    assert result.returncode == 1
    assert "seq 2: previous-hash link broken" in result.stdout


def _aware(value: object):  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value

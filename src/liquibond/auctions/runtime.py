"""Auctions' part of the app's lifespan: the job that moves every auction whose time has
come (announce, open, close, clear, settle; see :func:`.lifecycle.due_step`), every
`auctions_interval_seconds`."""

from __future__ import annotations

import functools
from datetime import datetime

import structlog
from fastapi import FastAPI

from liquibond.auctions.service import AuctionService
from liquibond.config import Settings
from liquibond.platform.db import Database, utcnow
from liquibond.platform.jobs import Job, background_job
from liquibond.platform.uow import UnitOfWork

log = structlog.get_logger(__name__)


def _job(app: FastAPI) -> Job:
    settings: Settings = app.state.settings
    return Job(
        "auctions",
        settings.auctions_interval_seconds,
        functools.partial(run_due, app.state.database),
    )


#: Runs the auctions job in the background while the app serves.
lifespan = background_job(_job)


async def run_due(database: Database, now: datetime | None = None) -> int:
    """Take every step due at `now` (default: the current time), one transaction per
    auction; returns how many auctions moved. An auction another process holds is left to
    it; a step that fails is logged and tried again on the next run (the steps before it
    in the same run stand)."""
    now = now or utcnow()
    async with UnitOfWork(database, write=False) as uow:
        due = await AuctionService(uow.session).due(now)
    moved = 0
    for auction_id in due:
        try:
            async with UnitOfWork(database) as uow:
                steps = await AuctionService(uow.session).advance(auction_id, now, skip_locked=True)
                if not steps:
                    continue
                await uow.commit()
            moved += 1
            log.info(
                "auctions.moved", auction_id=str(auction_id), steps=[step.value for step in steps]
            )
        except Exception:
            log.exception("auctions.run_failed", auction_id=str(auction_id))
    return moved

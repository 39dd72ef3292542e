"""RFQ's part of the app's lifespan: the job that, every `rfq_interval_seconds`, expires RFQs
and quotes whose time has passed and rejects last looks held past their maximum."""

from __future__ import annotations

import functools
from datetime import datetime

import structlog
from fastapi import FastAPI

from liquibond.config import Settings
from liquibond.platform.db import Database, utcnow
from liquibond.platform.jobs import Job, background_job
from liquibond.platform.uow import UnitOfWork
from liquibond.rfq.service import RfqService

log = structlog.get_logger(__name__)


def _job(app: FastAPI) -> Job:
    settings: Settings = app.state.settings
    return Job(
        "rfq",
        settings.rfq_interval_seconds,
        functools.partial(run_due, app.state.database, settings),
    )


#: Runs the RFQ job in the background while the app serves.
lifespan = background_job(_job)


async def run_due(database: Database, settings: Settings, now: datetime | None = None) -> int:
    """Do what is due at `now` (default: the current time), one transaction per RFQ; returns
    how many RFQs changed. A failure is logged and retried on the next run."""
    now = now or utcnow()
    async with UnitOfWork(database, write=False) as uow:
        due = await RfqService(uow.session, settings).due(now)
    changed = 0
    for rfq_id in due:
        try:
            async with UnitOfWork(database) as uow:
                if not await RfqService(uow.session, settings).advance(rfq_id, now):
                    continue
                await uow.commit()
            changed += 1
        except Exception:
            log.exception("rfq.run_failed", rfq_id=str(rfq_id))
    return changed

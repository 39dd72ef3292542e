"""Corporate actions' part of the app's lifespan: the job that announces the schedule's
coupons and redemptions and runs every event with a step due (see
:mod:`liquibond.corporate_actions.service`), every `corporate_actions_interval_seconds`."""

from __future__ import annotations

import functools
from datetime import date

import structlog
from fastapi import FastAPI

from liquibond.config import Settings
from liquibond.corporate_actions.service import VENUE, CorporateActionService, Policy
from liquibond.platform.db import Database
from liquibond.platform.jobs import Job, background_job
from liquibond.platform.uow import UnitOfWork
from liquibond.valuation.service import trade_date

log = structlog.get_logger(__name__)


def _job(app: FastAPI) -> Job:
    settings: Settings = app.state.settings
    return Job(
        "corporate-actions",
        settings.corporate_actions_interval_seconds,
        functools.partial(run_due, app.state.database, Policy.from_settings(settings)),
    )


#: Runs the corporate-actions job in the background while the app serves.
lifespan = background_job(_job)


async def run_due(database: Database, policy: Policy, today: date | None = None) -> int:
    """Announce the schedules' upcoming events, then run each event with a step due on
    `today` (default: today's Indian market date) in a transaction of its own; returns how
    many events were run. A failing event is logged and left for the next run."""
    today = today or trade_date()
    async with UnitOfWork(database) as uow:
        announced = await CorporateActionService(uow.session).announce_schedules(today)
        await uow.commit()
    if announced:
        log.info("corporate_actions.announced", count=announced)
    async with UnitOfWork(database, write=False) as uow:
        due = await CorporateActionService(uow.session).due(today)
    ran = 0
    for action_id in due:
        try:
            async with UnitOfWork(database) as uow:
                action = await CorporateActionService(uow.session).run(
                    action_id, today, VENUE, policy, skip_locked=True
                )
                if action is None:
                    continue  # another process is running it
                await uow.commit()
                ran += 1
                log.info("corporate_actions.ran", action_id=str(action_id), status=action.status)
        except Exception:
            log.exception("corporate_actions.run_failed", action_id=str(action_id))
    return ran

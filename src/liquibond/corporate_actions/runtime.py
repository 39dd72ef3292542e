"""Corporate actions' part of the app's lifespan: the job that announces the schedule's
coupons and redemptions and runs every event with a step due (see
:mod:`liquibond.corporate_actions.service`), every `corporate_actions_interval_seconds`; and
the second register it checks tokenized bonds' events against: the chain's, when the venue
runs on one."""

from __future__ import annotations

import functools
from datetime import date

import structlog
from fastapi import FastAPI

from liquibond.config import Settings
from liquibond.corporate_actions.register import Register, RegisterNotReady
from liquibond.corporate_actions.service import VENUE, CorporateActionService, Policy
from liquibond.platform.db import Database
from liquibond.platform.jobs import Job, background_job
from liquibond.platform.uow import UnitOfWork
from liquibond.valuation.service import trade_date

log = structlog.get_logger(__name__)


def register(app: FastAPI) -> Register | None:
    """The register of tokenized bonds on the venue's chain (None when the chain is off)."""
    chain = getattr(app.state, "chain", None)
    if chain is None:
        return None
    from liquibond.chain.register import ChainRegister  # only a venue on a chain needs it

    return ChainRegister(chain)


def _job(app: FastAPI) -> Job:
    settings: Settings = app.state.settings
    return Job(
        "corporate-actions",
        settings.corporate_actions_interval_seconds,
        functools.partial(_run_job, app, Policy.from_settings(settings)),
    )


async def _run_job(app: FastAPI, policy: Policy) -> int:
    # The chain's lifespan may start after this one: its register is looked up at each run.
    return await run_due(app.state.database, policy, register=register(app))


#: Runs the corporate-actions job in the background while the app serves.
lifespan = background_job(_job)


async def run_due(
    database: Database,
    policy: Policy,
    today: date | None = None,
    *,
    register: Register | None = None,
) -> int:
    """Announce the schedules' upcoming events, then run each event with a step due on
    `today` (default: today's Indian market date) in a transaction of its own, checking
    tokenized bonds' registers against `register`; returns how many events were run. A
    failing event is logged and left for the next run."""
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
                action = await CorporateActionService(uow.session, register).run(
                    action_id, today, VENUE, policy, skip_locked=True
                )
                if action is None:
                    continue  # another process is running it
                await uow.commit()
                ran += 1
                log.info("corporate_actions.ran", action_id=str(action_id), status=action.status)
        except RegisterNotReady as exc:
            log.info(
                "corporate_actions.register_not_ready", action_id=str(action_id), why=exc.detail
            )
        except Exception:
            log.exception("corporate_actions.run_failed", action_id=str(action_id))
    return ran

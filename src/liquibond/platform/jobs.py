"""Periodic jobs run inside the server: each job every `interval_seconds`, until shutdown.

The scheduler only keeps jobs running: a job that fails is logged and runs again at its next
tick, and shutdown cancels a job wherever it is. Correctness is the job's: its body must be
idempotent (a tick may repeat work already done) and crash-safe (a cancelled or crashed run
must leave nothing half done, e.g. by doing each unit of work in one transaction, which a
cancellation rolls back), and where several processes share a database it must not run the
same work concurrently (e.g. row locks with `SKIP LOCKED` on PostgreSQL).

The first run comes one interval after start, so a (re)starting server serves first.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass

import structlog
from fastapi import FastAPI

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Job:
    """Work to repeat: `run` every `interval_seconds` (0: never)."""

    name: str
    interval_seconds: float
    run: Callable[[], Awaitable[object]]


async def run_forever(job: Job) -> None:
    """Run `job` every interval, logging (and surviving) its failures, until cancelled."""
    while True:
        await asyncio.sleep(job.interval_seconds)
        try:
            await job.run()
        except Exception:
            log.exception("job.failed", job=job.name)


@contextlib.asynccontextmanager
async def scheduled(jobs: Iterable[Job]) -> AsyncIterator[None]:
    """Run the jobs (those with a positive interval) in the background while the block runs;
    on leaving it, cancel them and wait until they have stopped."""
    tasks = [
        asyncio.create_task(run_forever(job), name=f"job:{job.name}")
        for job in jobs
        if job.interval_seconds > 0
    ]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def background_job(
    make_job: Callable[[FastAPI], Job],
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """A router's lifespan that runs the job `make_job(app)` builds while the app serves."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with scheduled([make_job(app)]):
            yield

    return lifespan

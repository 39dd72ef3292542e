"""The generic scheduler (liquibond.platform.jobs): jobs repeat, survive their failures and
stop on shutdown; an interval of 0 never runs."""

from __future__ import annotations

import asyncio

from liquibond.platform.jobs import Job, scheduled


async def test_jobs_repeat_survive_failures_and_stop_with_the_block() -> None:
    runs = {"flaky": 0, "never": 0}
    third = asyncio.Event()

    async def flaky() -> None:
        runs["flaky"] += 1
        if runs["flaky"] == 3:
            third.set()
        if runs["flaky"] % 2:
            raise RuntimeError("a bad tick")

    async def never() -> None:
        runs["never"] += 1

    async with scheduled([Job("flaky", 0.01, flaky), Job("off", 0, never)]):
        await asyncio.wait_for(third.wait(), timeout=5)
    stopped = runs["flaky"]
    await asyncio.sleep(0.05)
    assert runs == {"flaky": stopped, "never": 0}  # nothing runs after the block


async def test_shutdown_cancels_a_job_mid_run() -> None:
    started, finished = asyncio.Event(), asyncio.Event()

    async def slow() -> None:
        started.set()
        await asyncio.sleep(60)
        finished.set()

    async with scheduled([Job("slow", 0.01, slow)]):
        await asyncio.wait_for(started.wait(), timeout=5)
    assert not finished.is_set()

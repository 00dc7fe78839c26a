"""Stopping background tasks when a library's wait swallows a cancellation (Python 3.11's ``wait_for``)."""

from __future__ import annotations

import asyncio

from shared.waiting import stop_tasks, woken


async def test_a_task_that_swallows_a_cancellation_is_stopped_all_the_same() -> None:
    swallowed = 0

    async def loop() -> None:
        nonlocal swallowed
        while True:
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                if swallowed == 0:  # what wait_for does when the answer comes with the cancellation
                    swallowed += 1
                    continue
                raise

    task = asyncio.create_task(loop())
    await asyncio.sleep(0)
    await asyncio.wait_for(stop_tasks([task]), 5)
    assert task.cancelled() and swallowed == 1


async def test_a_failed_task_is_stopped_quietly() -> None:
    async def fail() -> None:
        raise ValueError("already broken")

    task = asyncio.create_task(fail())
    await asyncio.sleep(0)
    await stop_tasks([task])  # its exception is retrieved, not raised


async def test_woken_tells_a_wake_up_from_a_timeout() -> None:
    event = asyncio.Event()
    assert await woken(event, 0.01) is False
    event.set()
    assert await woken(event, 5) is True

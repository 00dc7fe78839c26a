"""Waiting without losing a cancellation: for a wake-up or a timeout, and for background tasks to stop.

Python 3.11's ``asyncio.wait_for`` returns the inner result when what it awaits completes in the same loop pass as
the waiting task is cancelled, and drops the cancellation. Parley's own waits use ``asyncio.timeout`` instead,
which cancels only what it started; the libraries under it (nats-py's request and publish) still use
``wait_for``, so a task cancelled just as its answer comes may run on. Background tasks are therefore stopped
by cancelling them again until they end.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

# How long a cancelled task may take before it is cancelled again.
_RECANCEL_SECONDS = 0.1


async def woken(event: asyncio.Event, seconds: float) -> bool:
    """Wait until ``event`` is set (True) or ``seconds`` have passed (False)."""
    try:
        async with asyncio.timeout(seconds):
            await event.wait()
    except TimeoutError:
        return False
    return True


async def stop_tasks(tasks: Iterable[asyncio.Task[object]]) -> None:
    """Cancel ``tasks`` and wait until every one has ended, cancelling again any that a library's wait kept
    running. Their exceptions are retrieved (they were stopping anyway)."""
    tasks = list(tasks)
    pending = {task for task in tasks if not task.done()}
    ended = [task for task in tasks if task.done()]
    while pending:
        for task in pending:
            task.cancel()
        done, pending = await asyncio.wait(pending, timeout=_RECANCEL_SECONDS)
        ended += done
    for task in ended:
        if not task.cancelled():
            task.exception()

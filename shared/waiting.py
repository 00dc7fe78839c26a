"""Waiting for a wake-up or a timeout, whichever comes first, without losing a cancellation.

Python 3.11's ``asyncio.wait_for`` returns the inner result when the awaited event is set in the same loop pass
as the waiting task is cancelled, and drops the cancellation: a background loop that waits that way may never
stop (a command API's shutdown hung on its outbox relay). ``asyncio.timeout`` cancels only what it started.
"""

from __future__ import annotations

import asyncio


async def woken(event: asyncio.Event, seconds: float) -> bool:
    """Wait until ``event`` is set (True) or ``seconds`` have passed (False)."""
    try:
        async with asyncio.timeout(seconds):
            await event.wait()
    except TimeoutError:
        return False
    return True

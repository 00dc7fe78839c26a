"""Failing fast while the database is away: a circuit breaker in front of the requests that need it.

Without it, every request during an outage waits the driver's full server selection timeout, and sends wait that
long one after the other behind their conversation's lock and the single writer: thousands of them hung for many
seconds. Once one operation has failed for want of a database, the breaker opens: requests are answered 503 at
once with a ``Retry-After`` (spread over a few seconds, so clients do not all come back together), and queued
appends fail with them. Meanwhile one background ping per interval looks for the database; the first answer closes
the breaker. No request is used as a probe, so the recovery lets traffic in as it comes, not as a backlog.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable

from pymongo.errors import ConnectionFailure

log = logging.getLogger(__name__)

PROBE_SECONDS = 0.5
# Retry-After is drawn from this range (seconds): spread, so that clients do not return all at once.
RETRY_AFTER_SECONDS = (1, 3)


class DatabaseAway(ConnectionFailure):
    """Raised instead of waiting for a database known to be away (a ``ConnectionFailure``: handled as one)."""


class DatabaseBreaker:
    def __init__(self, ping: Callable[[], Awaitable[object]], *, probe_seconds: float = PROBE_SECONDS) -> None:
        self._ping = ping
        self.probe_seconds = probe_seconds
        self._probe: asyncio.Task[None] | None = None

    @property
    def open(self) -> bool:
        return self._probe is not None and not self._probe.done()

    def check(self) -> None:
        """Raise ``DatabaseAway`` while the breaker is open."""
        if self.open:
            raise DatabaseAway("database unavailable")

    def trip(self, error: BaseException) -> None:
        """An operation failed for want of a database: open, and look for it in the background."""
        if not self.open:
            log.warning("database away: failing fast until it answers", extra={"error": repr(error)})
            self._probe = asyncio.get_running_loop().create_task(self._until_answered(), name="database-probe")

    @staticmethod
    def retry_after() -> str:
        return str(random.randint(*RETRY_AFTER_SECONDS))

    async def _until_answered(self) -> None:
        while True:
            await asyncio.sleep(self.probe_seconds)
            try:
                await self._ping()
            except Exception:
                continue
            log.info("database answers again")
            return

    async def close(self) -> None:
        if self._probe is not None:
            self._probe.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._probe

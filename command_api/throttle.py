"""Login throttling: failed attempts per email and per client address within a sliding window.

Each failure is its own document and the window is counted, because inserts are atomic on every backend while
concurrent ``$inc`` updates are not on FerretDB (they lose increments, which would let a parallel guesser through).
Stored in MongoDB so that every command API instance agrees.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

from shared.events import now

COLLECTION = "login_failures"


class LoginThrottle:
    def __init__(self, db: AsyncDatabase[dict[str, Any]], *, max_failures: int, window_seconds: int) -> None:
        self.failures = db[COLLECTION]
        self.max_failures = max_failures
        self.window = timedelta(seconds=window_seconds)

    async def ensure_indexes(self) -> None:
        await self.failures.create_index([("key", ASCENDING), ("at", ASCENDING)], name="key_at")

    def _limits(self, email: str, client: str) -> dict[str, int]:
        # A generous per-address limit stops one client from guessing across many accounts.
        return {f"email:{email}": self.max_failures, f"ip:{client}": self.max_failures * 10}

    async def retry_after(self, email: str, client: str) -> int | None:
        """Seconds until another attempt is allowed, or None when it is allowed now."""
        current = now()
        since = current - self.window
        waits: list[int] = []
        for key, limit in self._limits(email, client).items():
            recent = self.failures.find({"key": key, "at": {"$gt": since}}).sort("at", -1).limit(limit)
            times = [doc["at"] async for doc in recent]
            if len(times) >= limit:
                # Allowed again once the oldest of the last `limit` failures leaves the window.
                frees_at = times[-1] + self.window
                waits.append(max(1, int((frees_at - current).total_seconds()) + 1))
        return max(waits) if waits else None

    async def record_failure(self, email: str, client: str) -> None:
        at = now()
        await self.failures.insert_many([{"key": key, "at": at} for key in self._limits(email, client)])
        # Keep the collection small: failures older than the window no longer count.
        await self.failures.delete_many({"at": {"$lt": at - self.window}})

    async def record_success(self, email: str) -> None:
        await self.failures.delete_many({"key": f"email:{email}"})

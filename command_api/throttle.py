"""Login throttling: failed attempts counted per key in fixed windows, in MongoDB so every instance agrees."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from shared.events import now

COLLECTION = "login_failures"


class LoginThrottle:
    def __init__(self, db: AsyncDatabase[dict[str, Any]], *, max_failures: int, window_seconds: int) -> None:
        self.failures = db[COLLECTION]
        self.max_failures = max_failures
        self.window = timedelta(seconds=window_seconds)

    def _limits(self, email: str, client: str) -> dict[str, int]:
        # A generous per-address limit stops one client from guessing across many accounts.
        return {f"email:{email}": self.max_failures, f"ip:{client}": self.max_failures * 10}

    async def retry_after(self, email: str, client: str) -> int | None:
        """Seconds until another attempt is allowed, or None when it is allowed now."""
        current = now()
        waits: list[int] = []
        for key, limit in self._limits(email, client).items():
            doc = await self.failures.find_one({"_id": key})
            if doc is None or doc["count"] < limit:
                continue
            ends: datetime = doc["window_start"] + self.window
            if ends > current:
                waits.append(max(1, int((ends - current).total_seconds()) + 1))
        return max(waits) if waits else None

    async def record_failure(self, email: str, client: str) -> None:
        current = now()
        for key in self._limits(email, client):
            counted = await self.failures.update_one(
                {"_id": key, "window_start": {"$gt": current - self.window}}, {"$inc": {"count": 1}}
            )
            if counted.matched_count == 0:  # no window open: start one
                await self.failures.replace_one(
                    {"_id": key}, {"_id": key, "count": 1, "window_start": current}, upsert=True
                )

    async def record_success(self, email: str) -> None:
        await self.failures.delete_one({"_id": f"email:{email}"})

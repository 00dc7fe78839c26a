"""The daily upload quota of each user: how many uploads, and how many bytes, per UTC day.

Kept as a chain of slot documents per user and day, ``<user>:<day>:<n>`` holding the day's running total after
upload ``n``. Taking slot ``n + 1`` is an insert with that ``_id``: the unique ``_id`` lets exactly one of two
concurrent uploads (in this process or any other) take it; the loser reads the winner's total and tries the next
slot. So the limits hold under any concurrency, with no ``$inc`` (FerretDB loses concurrent increments) and only
reads by ``_id`` (the one filter FerretDB does not answer by scanning the collection).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

COLLECTION = "upload_quota"
_ATTEMPTS = 50


@dataclass(frozen=True, slots=True)
class Usage:
    count: int
    bytes: int


class QuotaExceeded(Exception):
    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.detail = detail
        self.retry_after = retry_after


def _day(at: datetime) -> str:
    return at.strftime("%Y-%m-%d")


def _until_tomorrow(at: datetime) -> int:
    tomorrow = datetime(at.year, at.month, at.day, tzinfo=UTC) + timedelta(days=1)
    return max(1, int((tomorrow - at).total_seconds()) + 1)


class UploadQuota:
    def __init__(self, db: AsyncDatabase[dict[str, Any]], *, max_count: int, max_bytes: int) -> None:
        self.slots = db[COLLECTION]
        self.max_count = max_count
        self.max_bytes = max_bytes
        self._heads: dict[str, Usage] = {}  # "<user>:<day>" -> the newest usage this process has seen

    async def _slot(self, key: str, n: int) -> Usage | None:
        doc = await self.slots.find_one({"_id": f"{key}:{n}"})
        return Usage(n, int(doc["bytes"])) if doc is not None else None

    async def _find_head(self, key: str) -> Usage:
        """The day's last slot, for a process that knows none of it: slots are taken in order with no gaps, so
        doubling then halving finds it in a few dozen reads by ``_id`` at most, however many there are."""
        last = await self._slot(key, 1)
        if last is None:
            return Usage(0, 0)
        missing = 2
        while (found := await self._slot(key, missing)) is not None:
            last, missing = found, missing * 2
        while missing - last.count > 1:
            middle = (last.count + missing) // 2
            found = await self._slot(key, middle)
            if found is None:
                missing = middle
            else:
                last = found
        return last

    async def _usage(self, key: str) -> Usage:
        """The day's usage: from the last slot known here, reading forward by ``_id`` past any taken elsewhere."""
        usage = self._heads.get(key)
        if usage is None:
            usage = await self._find_head(key)
        while True:
            doc = await self.slots.find_one({"_id": f"{key}:{usage.count + 1}"})
            if doc is None:
                break
            usage = Usage(usage.count + 1, int(doc["bytes"]))
        self._remember(key, usage)
        return usage

    def _remember(self, key: str, usage: Usage) -> None:
        if len(self._heads) > 100_000:
            self._heads.clear()
        self._heads[key] = usage

    def _refuse(self, usage: Usage, size: int, at: datetime) -> None:
        if usage.count + 1 > self.max_count:
            raise QuotaExceeded(
                f"daily upload limit reached: at most {self.max_count} uploads a day; try again tomorrow (UTC)",
                _until_tomorrow(at),
            )
        if usage.bytes + size > self.max_bytes:
            raise QuotaExceeded(
                f"daily upload limit reached: at most {self.max_bytes} bytes a day, {usage.bytes} used; "
                "try again tomorrow (UTC)",
                _until_tomorrow(at),
            )

    async def check(self, user_id: str, size: int = 0) -> None:
        """Refuse early (before the body is read) when the day's quota is already spent."""
        at = datetime.now(UTC)
        self._refuse(await self._usage(f"{user_id}:{_day(at)}"), size, at)

    async def reserve(self, user_id: str, size: int) -> None:
        """Count one upload of ``size`` bytes, or raise ``QuotaExceeded`` and count nothing."""
        at = datetime.now(UTC)
        key = f"{user_id}:{_day(at)}"
        usage = await self._usage(key)
        for _ in range(_ATTEMPTS):
            self._refuse(usage, size, at)
            taken = Usage(usage.count + 1, usage.bytes + size)
            try:
                await self.slots.insert_one({"_id": f"{key}:{taken.count}", "bytes": taken.bytes, "at": at})
            except DuplicateKeyError:
                usage = await self._usage(key)  # another upload took the slot: count from its total
                continue
            self._remember(key, taken)
            return
        raise QuotaExceeded("too many concurrent uploads, try again", 1)

"""Login throttling: every attempt takes a numbered slot BEFORE its password is checked, so however many guesses
arrive at once, at most the allowed number are ever evaluated.

Three limits, each counted in fixed windows (``login_window_seconds``):

- per (account, client address): a few free failures, then exponential back-off (each further attempt waits
  twice as long after the previous one). An attacker guessing someone's password is slowed to a crawl; the owner,
  logging in from another address, is not affected at all.
- per account, from all addresses: a limit much higher than the pair's, against guessing spread over many
  addresses.
- per client address, over all accounts: against one client trying many accounts.

A slot is a document whose ``_id`` names the limit, the window and the slot number. Inserting it is the
reservation: unique ``_id`` inserts are atomic on MongoDB and FerretDB alike (concurrent ``$inc`` updates are not
on FerretDB: they lose increments), and a lookup or insert by ``_id`` is the one access FerretDB serves without
scanning the collection. A successful login gives its slots back, so only failures count. Stored in MongoDB, so
every command API instance agrees.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from shared.mongo import delete_by_id

COLLECTION = "login_attempts"
# Old windows' slots are deleted at most this often per process (a scan on FerretDB, so not per request).
_CLEANUP_EVERY_SECONDS = 60.0
# A pair's back-off doubles per attempt up to the window; past that many slots the pair waits for the next window.
_MAX_PAIR_SLOTS = 64


@dataclass(frozen=True, slots=True)
class Reservation:
    """The slots one attempt holds (given back when the password was right)."""

    slot_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Throttled:
    """No attempt now; the client may try again after ``retry_after`` seconds."""

    retry_after: int


@dataclass(frozen=True, slots=True)
class _Limit:
    key: str
    slots: int
    backoff: bool


class LoginThrottle:
    def __init__(
        self,
        db: AsyncDatabase[dict[str, Any]],
        *,
        free_failures: int,
        window_seconds: int,
        backoff_seconds: float,
        account_limit: int,
        address_limit: int,
    ) -> None:
        self.slots = db[COLLECTION]
        self.free_failures = free_failures
        self.window = window_seconds
        self.backoff = backoff_seconds
        self.account_limit = account_limit
        self.address_limit = address_limit
        # The next slot number worth trying per limit and window (everything below it is known to be taken).
        self._hints: dict[str, int] = {}
        self._cleaned_at = 0.0

    async def ensure_indexes(self) -> None:
        pass  # every access is by _id

    def _limits(self, email: str, client: str) -> list[_Limit]:
        # Keys are hashed: no email address is stored here, and every _id is short.
        def key(kind: str, value: str) -> str:
            return f"{kind}:{hashlib.sha256(value.encode()).hexdigest()[:32]}"

        return [
            _Limit(key("pair", f"{email}\n{client}"), _MAX_PAIR_SLOTS, backoff=True),
            _Limit(key("account", email), self.account_limit, backoff=False),
            _Limit(key("address", client), self.address_limit, backoff=False),
        ]

    def _delay(self, slot: int) -> float:
        """How long slot ``slot`` of a pair must wait after the previous one."""
        if slot < self.free_failures:
            return 0.0
        return float(min(self.backoff * 2 ** min(slot - self.free_failures, 30), self.window))

    async def reserve(self, email: str, client: str) -> Reservation | Throttled:
        """Take a slot under every limit, or none (and say how long to wait)."""
        at = time.time()
        window = int(at // self.window)
        taken: list[str] = []
        for limit in self._limits(email, client):
            result = await self._take(limit, window, at)
            if isinstance(result, Throttled):
                await delete_by_id(self.slots, taken)
                return result
            taken.append(result)
        await self._cleanup(window, at)
        return Reservation(tuple(taken))

    async def release(self, reservation: Reservation) -> None:
        """The password was right: this attempt does not count against anyone."""
        await delete_by_id(self.slots, reservation.slot_ids)
        for slot_id in reservation.slot_ids:
            prefix, _, number = slot_id.rpartition(":")
            if self._hints.get(prefix) == int(number) + 1:
                self._hints[prefix] = int(number)  # the next attempt takes the slot back

    async def _take(self, limit: _Limit, window: int, at: float) -> str | Throttled:
        prefix = f"{limit.key}:{window}"
        slot = self._hints.get(prefix, 0)
        while slot < limit.slots:
            if limit.backoff and self._delay(slot) > 0:
                previous = await self.slots.find_one({"_id": f"{prefix}:{slot - 1}"})
                if previous is not None:  # (absent: given back by a success)
                    ready = float(previous["at"]) + self._delay(slot)
                    if at < ready:
                        self._hints[prefix] = slot
                        return Throttled(max(1, math.ceil(ready - at)))
            try:
                await self.slots.insert_one({"_id": f"{prefix}:{slot}", "at": at, "window": window})
            except DuplicateKeyError:
                slot += 1  # another attempt took it first
                continue
            self._hints[prefix] = slot + 1
            return f"{prefix}:{slot}"
        self._hints[prefix] = slot
        return Throttled(max(1, math.ceil((window + 1) * self.window - at)))

    async def _cleanup(self, window: int, at: float) -> None:
        if at - self._cleaned_at < _CLEANUP_EVERY_SECONDS:
            return
        self._cleaned_at = at
        self._hints = {k: v for k, v in self._hints.items() if k.endswith(f":{window}")}
        await self.slots.delete_many({"window": {"$lt": window}})

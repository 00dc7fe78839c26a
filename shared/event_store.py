"""The event log on MongoDB: append with optimistic concurrency and idempotency keys, read in order.

Guarantees, all enforced by unique indexes (no multi-document transactions, which FerretDB lacks):
- ``(stream, stream_version)`` is unique: two writers deciding on the same version cannot both append; the loser
  gets a ``ConcurrencyError``.
- ``idempotency_key`` is unique: a retried command finds the first event instead of appending another. Every
  event has a key (its own id when the command gives none), because FerretDB has no partial indexes.
- ``position`` is unique: each append takes the last position + 1 and retries when another writer took it first.
  So positions are gapless and increase in commit order, and a reader that catches up "after position p" never
  misses an event that commits later with a smaller position. (A counter document with ``$inc`` is not an option:
  FerretDB applies concurrent ``$inc`` updates non-atomically and loses increments; unique indexes do hold.)

Events are never updated, except for the outbox marker ``published_at``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from shared.events import Envelope, NewEvent

EVENTS = "events"
_POSITION_ATTEMPTS = 50


class ConcurrencyError(Exception):
    """Another writer appended to the stream at the expected version first."""

    def __init__(self, stream: str, expected_version: int) -> None:
        super().__init__(f"stream {stream!r} is past version {expected_version}")
        self.stream = stream
        self.expected_version = expected_version


@dataclass(frozen=True, slots=True)
class AppendResult:
    event: Envelope
    # False when the idempotency key was already used: ``event`` is then the event stored the first time.
    created: bool


class EventStore:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.db = db
        self.events = db[EVENTS]
        # Appends from one process are serialised so they do not race each other for the next position;
        # races with other processes are settled by the unique index.
        self._append_lock = asyncio.Lock()
        self._last_position: int | None = None

    async def ensure_indexes(self) -> None:
        await self.events.create_index(
            [("stream", ASCENDING), ("stream_version", ASCENDING)], unique=True, name="stream_version"
        )
        await self.events.create_index([("idempotency_key", ASCENDING)], unique=True, name="idempotency_key")
        await self.events.create_index([("position", ASCENDING)], unique=True, name="position")
        await self.events.create_index([("published_at", ASCENDING), ("position", ASCENDING)], name="outbox")

    async def append(self, new: NewEvent, *, expected_version: int) -> AppendResult:
        """Append ``new`` as version ``expected_version + 1`` of its stream.

        Returns the stored event, or the event first stored under the same idempotency key.
        Raises ``ConcurrencyError`` when the stream is no longer at ``expected_version``.
        """
        key = new.idempotency_key or f"event:{new.id}"
        if new.idempotency_key is not None:
            existing = await self.find_by_idempotency_key(key)
            if existing is not None:
                return AppendResult(existing, created=False)
        doc: dict[str, Any] = {
            "_id": new.id,
            "type": new.data.event_type,
            "schema": new.data.schema_version,
            "stream": new.stream,
            "stream_version": expected_version + 1,
            "position": 0,
            "occurred_at": new.occurred_at,
            "actor_id": new.actor_id,
            "correlation_id": new.correlation_id,
            "causation_id": new.causation_id,
            "idempotency_key": key,
            "data": new.data.model_dump(mode="python"),
            "published_at": None,
        }
        async with self._append_lock:
            for _ in range(_POSITION_ATTEMPTS):
                if self._last_position is None:
                    self._last_position = await self.last_position()
                doc["position"] = self._last_position + 1
                try:
                    await self.events.insert_one(doc)
                except DuplicateKeyError:
                    # FerretDB does not say which index refused, so look: a used key means a concurrent retry of
                    # the same command won; a moved stream is a conflict; otherwise another process took the
                    # position.
                    existing = await self.find_by_idempotency_key(key)
                    if existing is not None:
                        return AppendResult(existing, created=False)
                    if await self.stream_version(new.stream) > expected_version:
                        raise ConcurrencyError(new.stream, expected_version) from None
                    self._last_position = None
                    continue
                self._last_position = doc["position"]
                return AppendResult(Envelope.from_document(doc), created=True)
        raise RuntimeError("could not allocate an event position")

    async def append_next(self, new: NewEvent, *, attempts: int = 20) -> AppendResult:
        """Append at the end of the stream whatever its version, retrying lost races.

        For events whose decision does not depend on the stream's earlier events (a message in a conversation).
        """
        version = await self.stream_version(new.stream)
        for _ in range(attempts):
            try:
                return await self.append(new, expected_version=version)
            except ConcurrencyError:
                version = await self.stream_version(new.stream)
        raise ConcurrencyError(new.stream, version)

    async def stream_version(self, stream: str) -> int:
        """The version of the stream's last event, 0 for a stream with no events."""
        doc = await self.events.find_one(
            {"stream": stream}, projection={"stream_version": 1}, sort=[("stream_version", DESCENDING)]
        )
        return int(doc["stream_version"]) if doc else 0

    async def find_by_idempotency_key(self, key: str) -> Envelope | None:
        doc = await self.events.find_one({"idempotency_key": key})
        return Envelope.from_document(doc) if doc else None

    async def get(self, event_id: str) -> Envelope | None:
        doc = await self.events.find_one({"_id": event_id})
        return Envelope.from_document(doc) if doc else None

    async def read_stream(self, stream: str, *, after_version: int = 0) -> list[Envelope]:
        cursor = self.events.find({"stream": stream, "stream_version": {"$gt": after_version}}).sort(
            "stream_version", ASCENDING
        )
        return [Envelope.from_document(doc) async for doc in cursor]

    async def read_all(
        self,
        *,
        after_position: int = 0,
        types: Sequence[str] | None = None,
        batch_size: int = 1000,
        until_position: int | None = None,
    ) -> AsyncIterator[Envelope]:
        """Every event after ``after_position`` in position order, optionally only some types."""
        position_filter: dict[str, int] = {"$gt": after_position}
        if until_position is not None:
            position_filter["$lte"] = until_position
        query: dict[str, Any] = {"position": position_filter}
        if types:
            query["type"] = {"$in": list(types)}
        cursor = self.events.find(query, batch_size=batch_size).sort("position", ASCENDING)
        async for doc in cursor:
            yield Envelope.from_document(doc)

    async def last_position(self) -> int:
        doc = await self.events.find_one({}, projection={"position": 1}, sort=[("position", DESCENDING)])
        return int(doc["position"]) if doc else 0

    async def unpublished(self, *, limit: int, older_than: datetime | None = None) -> list[Envelope]:
        """Events the outbox has not yet seen published, oldest first."""
        query: dict[str, Any] = {"published_at": None}
        if older_than is not None:
            query["occurred_at"] = {"$lt": older_than}
        cursor = self.events.find(query).sort("position", ASCENDING).limit(limit)
        return [Envelope.from_document(doc) async for doc in cursor]

    async def mark_published(self, event_ids: Sequence[str], at: datetime) -> None:
        if event_ids:
            await self.events.update_many({"_id": {"$in": list(event_ids)}}, {"$set": {"published_at": at}})

"""The event log on MongoDB: append with optimistic concurrency and idempotency keys, read in order.

Guarantees, enforced by unique indexes (no multi-document transactions, which FerretDB lacks):
- ``(stream, stream_version)`` is unique: two writers deciding on the same version cannot both append; the loser
  gets a ``ConcurrencyError``.
- ``idempotency_key`` is unique: a retried command finds the first event instead of appending another. Every
  event has a key (``event:<id>`` when the command gives none), because FerretDB has no partial indexes.
- The global ``position`` is the document ``_id``: each append takes the last position + 1 and retries when
  another writer took it first. So positions are gapless and increase in commit order: a reader that catches up
  "after position p" never misses an event that commits later with a smaller position. (A counter document with
  ``$inc`` is no option: FerretDB applies concurrent ``$inc`` updates non-atomically and loses increments.)

Access paths are chosen for FerretDB 1.24, whose SQLite backend answers only ``_id`` equality from an index (every
other filter or sort scans the collection): hot paths read by ``_id`` (a position, an idempotency key in ``keys``,
a marker in ``meta``) and cache what they learn; scans are left to cache misses, replay and audit. On MongoDB the
secondary indexes serve those too.

Events are never updated, except for the outbox marker ``published_at``.
"""

from __future__ import annotations

import asyncio
import weakref
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from shared.events import Envelope, NewEvent

EVENTS = "events"
KEYS = "event_keys"
META = "event_meta"
_POSITION_ATTEMPTS = 50
_CACHE_MAX = 100_000
_PROBE_CHUNK = 32
# The fields that tie a chat event to a user: its author, a message's receiver, a receipt's peer.
SYNC_FIELDS = ("actor_id", "data.receiver_id", "data.peer_id")


def position_id(position: int) -> str:
    """The ``_id`` of the event at ``position``: zero-padded so that string order is position order."""
    return f"{position:016d}"


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


class _Lru(OrderedDict[str, Any]):
    def remember(self, key: str, value: Any) -> None:
        self[key] = value
        self.move_to_end(key)
        if len(self) > _CACHE_MAX:
            self.popitem(last=False)


class EventStore:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.db = db
        self.events = db[EVENTS]
        self.keys = db[KEYS]
        self.meta = db[META]
        # Appends from one process are serialised so they do not race each other for the next position;
        # races with other processes are settled by the unique _id.
        self._append_lock = asyncio.Lock()
        self._last_position: int | None = None
        # The last event this process saw per stream: appending at the end usually needs no read first.
        self._heads = _Lru()
        self._stream_locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    async def ensure_indexes(self) -> None:
        await self.events.create_index(
            [("stream", ASCENDING), ("stream_version", ASCENDING)], unique=True, name="stream_version"
        )
        await self.events.create_index([("idempotency_key", ASCENDING)], unique=True, name="idempotency_key")
        # Used by MongoDB for audit and catch-up queries (FerretDB scans instead).
        await self.events.create_index([("type", ASCENDING), ("_id", ASCENDING)], name="type")
        for field in SYNC_FIELDS:
            await self.events.create_index([(field, ASCENDING), ("_id", ASCENDING)], name=f"sync_{field}")

    # -- appending ----------------------------------------------------------------------------------------------

    async def append(self, new: NewEvent, *, expected_version: int) -> AppendResult:
        """Append ``new`` as version ``expected_version + 1`` of its stream.

        Returns the stored event, or the event first stored under the same idempotency key.
        Raises ``ConcurrencyError`` when the stream is no longer at ``expected_version``.
        """
        key = new.idempotency_key or f"event:{new.id}"
        doc: dict[str, Any] = {
            "event_id": new.id,
            "type": new.data.event_type,
            "schema": new.data.schema_version,
            "stream": new.stream,
            "stream_version": expected_version + 1,
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
                position = (await self._cached_last_position()) + 1
                doc.update(_id=position_id(position), position=position)
                try:
                    await self.events.insert_one(doc)
                except DuplicateKeyError:
                    # The error does not say which index refused (FerretDB omits it), so look, cheapest first.
                    if await self.events.find_one({"_id": position_id(position)}, projection={"_id": 1}):
                        self._last_position = await self._probe_head(position)  # another process took it
                        continue
                    existing = await self.find_by_idempotency_key(key, exhaustive=True)
                    if existing is not None:
                        return AppendResult(existing, created=False)
                    self._heads.pop(new.stream, None)
                    raise ConcurrencyError(new.stream, expected_version) from None
                self._last_position = position
                break
            else:
                raise RuntimeError("could not allocate an event position")
        event = Envelope.from_document(doc)
        self._heads.remember(new.stream, event)
        if new.idempotency_key is not None:
            # An accelerator for lookups by key; the unique index above is what enforces it.
            await self.keys.replace_one({"_id": key}, {"_id": key, "position": position}, upsert=True)
        return AppendResult(event, created=True)

    async def append_next(self, stream: str, build: Callable[[int], NewEvent], *, attempts: int = 50) -> AppendResult:
        """Append ``build(version)`` at the end of ``stream`` whatever its version, retrying lost races.

        For events whose decision does not depend on the stream's earlier events, only on their number: a message
        gets its conversation's next ``seq``. ``build`` is called again with the new version after a lost race.
        """
        # One append per stream at a time in this process: concurrent senders in one conversation queue here
        # instead of racing for the same version; only other processes can still win a race.
        lock = self._stream_locks.get(stream)
        if lock is None:
            lock = self._stream_locks[stream] = asyncio.Lock()
        async with lock:
            version = await self.stream_version(stream)
            for _ in range(attempts):
                try:
                    return await self.append(build(version + 1), expected_version=version)
                except ConcurrencyError:
                    version = await self.stream_version(stream)
            raise ConcurrencyError(stream, version)

    async def _cached_last_position(self) -> int:
        if self._last_position is None:
            self._last_position = await self.last_position()
        return self._last_position

    # -- reading one stream -------------------------------------------------------------------------------------

    async def last_event(self, stream: str) -> Envelope | None:
        """The stream's newest event (from this process's cache when it appended or read it last)."""
        cached: Envelope | None = self._heads.get(stream)
        if cached is not None:
            return cached
        doc = await self.events.find_one({"stream": stream}, sort=[("stream_version", DESCENDING)])
        if doc is None:
            return None
        event = Envelope.from_document(doc)
        self._heads.remember(stream, event)
        return event

    async def stream_version(self, stream: str) -> int:
        """The version of the stream's last event, 0 for a stream with no events."""
        event = await self.last_event(stream)
        return event.stream_version if event else 0

    async def read_stream(self, stream: str, *, after_version: int = 0) -> list[Envelope]:
        cursor = self.events.find({"stream": stream, "stream_version": {"$gt": after_version}}).sort(
            "stream_version", ASCENDING
        )
        return [Envelope.from_document(doc) async for doc in cursor]

    async def find_by_idempotency_key(self, key: str, *, exhaustive: bool = True) -> Envelope | None:
        """The event stored under ``key``.

        The marker in ``keys`` answers by ``_id``. Without one (its writer is between the two writes, or stopped
        there) an exhaustive lookup asks the log itself and restores the marker; a quick one (a pre-check before
        an append, which the unique index backs anyway) answers None.
        """
        marker = await self.keys.find_one({"_id": key})
        if marker is not None:
            found = await self.at(int(marker["position"]))
            if found is not None:
                return found
        if not exhaustive:
            return None
        doc = await self.events.find_one({"idempotency_key": key})
        if doc is None:
            return None
        event = Envelope.from_document(doc)
        await self.keys.replace_one({"_id": key}, {"_id": key, "position": event.position}, upsert=True)
        return event

    # -- reading by position ------------------------------------------------------------------------------------

    async def at(self, position: int) -> Envelope | None:
        doc = await self.events.find_one({"_id": position_id(position)})
        return Envelope.from_document(doc) if doc else None

    async def read_from(self, after_position: int, *, limit: int) -> list[Envelope]:
        """Up to ``limit`` events after ``after_position``, by ``_id`` (gapless positions: stop at the first hole)."""
        found: list[Envelope] = []
        next_position = after_position + 1
        while len(found) < limit:
            wanted = range(next_position, next_position + min(_PROBE_CHUNK, limit - len(found)))
            docs = await asyncio.gather(*(self.events.find_one({"_id": position_id(p)}) for p in wanted))
            for doc in docs:
                if doc is None:
                    return found
                found.append(Envelope.from_document(doc))
            next_position = wanted.stop
        return found

    async def read_all(
        self,
        *,
        after_position: int = 0,
        types: Sequence[str] | None = None,
        batch_size: int = 1000,
        until_position: int | None = None,
    ) -> AsyncIterator[Envelope]:
        """Every event after ``after_position`` in position order, optionally only some types (one scan)."""
        id_filter: dict[str, str] = {"$gt": position_id(after_position)}
        if until_position is not None:
            id_filter["$lte"] = position_id(until_position)
        query: dict[str, Any] = {"_id": id_filter}
        if types:
            query["type"] = {"$in": list(types)}
        cursor = self.events.find(query, batch_size=batch_size).sort("_id", ASCENDING)
        async for doc in cursor:
            yield Envelope.from_document(doc)

    async def concerning(
        self, user_id: str, *, after_position: int, types: Iterable[str], limit: int, max_scanned: int = 2000
    ) -> tuple[list[Envelope], int]:
        """Events of ``types`` after a position that concern ``user_id``, in position order.

        Walks the log forward by position, at most ``max_scanned`` events per call; returns the matches and the
        position it got to (call again from there while it is behind the head).
        """
        wanted = set(types)
        matches: list[Envelope] = []
        reached = after_position
        while len(matches) < limit and reached - after_position < max_scanned:
            batch = await self.read_from(reached, limit=min(256, max_scanned - (reached - after_position)))
            if not batch:
                break
            for event in batch:
                reached = event.position
                if event.type in wanted and _concerns(event, user_id):
                    matches.append(event)
                    if len(matches) == limit:
                        break
        return matches, reached

    async def last_position(self) -> int:
        """The head of the log: the hint in ``meta``, then probes by ``_id`` past it."""
        hint = await self.meta.find_one({"_id": "head"})
        return await self._probe_head(int(hint["position"]) if hint else 0)

    async def _probe_head(self, known: int) -> int:
        """The last position, given that ``known`` is taken (or 0): gallop forward, then bisect, by ``_id``."""

        async def taken(position: int) -> bool:
            return await self.events.find_one({"_id": position_id(position)}, projection={"_id": 1}) is not None

        low, step = known, 1
        while await taken(low + step):
            low, step = low + step, step * 2
        high = low + step  # free
        while high - low > 1:
            middle = (low + high) // 2
            if await taken(middle):
                low = middle
            else:
                high = middle
        return low

    async def remember_head(self, position: int) -> None:
        """Move the head hint forward (a hint only: readers probe past it)."""
        await self.meta.update_one({"_id": "head"}, {"$max": {"position": position}}, upsert=True)

    # -- outbox -------------------------------------------------------------------------------------------------

    async def mark_published(self, positions: Iterable[int], at: datetime) -> None:
        await asyncio.gather(
            *(self.events.update_one({"_id": position_id(p)}, {"$set": {"published_at": at}}) for p in positions)
        )

    async def outbox_cursor(self) -> int:
        """Every event up to this position is known to be published."""
        doc = await self.meta.find_one({"_id": "outbox"})
        return int(doc["position"]) if doc else 0

    async def save_outbox_cursor(self, position: int) -> None:
        await self.meta.update_one({"_id": "outbox"}, {"$max": {"position": position}}, upsert=True)


def _concerns(event: Envelope, user_id: str) -> bool:
    data = event.data
    return event.actor_id == user_id or data.get("receiver_id") == user_id or data.get("peer_id") == user_id

"""The event log's writer on MongoDB: append with optimistic concurrency and idempotency keys, in group commits.
Reading is ``EventReader``'s (shared/event_reader.py); the store is a reader too, and answers a stream's head and a
key's event from what its own appends taught it.

Guarantees, enforced by unique indexes (no multi-document transactions, which FerretDB lacks):
- ``(stream, stream_version)`` is unique: two writers deciding on the same version cannot both append; the loser
  gets a ``ConcurrencyError``.
- ``idempotency_key`` is unique: a retried command finds the first event instead of appending another. Every
  event has a key (``event:<id>`` when the command gives none), because FerretDB has no partial indexes.
- The global ``position`` is the document ``_id``: each append takes the last position + 1 and retries when
  another writer took it first. So positions are gapless and increase in commit order: a reader that catches up
  "after position p" never misses an event that commits later with a smaller position. (A counter document with
  ``$inc`` is no option: FerretDB applies concurrent ``$inc`` updates non-atomically and loses increments.)

Access paths are chosen for FerretDB 1.24 on SQLite, which enforces unique indexes on insert but answers every
query, update and delete by scanning the whole collection, except those whose filter is exactly one ``_id``
equality (served by the _id index, given scripts/ferretdb-patches/). So no request path queries the event
collection by anything else: stream heads and idempotency keys are found through the log's own index
(``shared/stream_index.py``, written with each group commit), events by their position, the head of the log by
probing positions forward from a hint. Scans of the log are left to replay, audit, and the rare conflict that
neither the index nor the newest events of the log explain (an index far behind, or an entry lost in a crash). On
MongoDB the indexes serve all of them.

Events are never updated or deleted.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, ConnectionFailure

from shared.breaker import DatabaseBreaker
from shared.event_log import AppendResult, ConcurrencyError, append_at_end
from shared.event_reader import PROBE, PUBLISHED, EventReader, PositionOrder
from shared.events import Envelope, NewEvent, position_id
from shared.lru import Lru
from shared.mongo import find_by_id
from shared.stream_index import is_command_key

log = logging.getLogger(__name__)

# Where a version before the published mark kept one entry per unpublished event (read once, then dropped).
LEGACY_OUTBOX = "outbox"
_POSITION_ATTEMPTS = 50
_CACHE_MAX = 200_000
_CHECKPOINT_SECONDS = 1.0
# The newest events of the log that may still wait for their index entries: each process's group in flight (the
# next commit waits for the index write), a few events each even under load, times a few instances.
_UNINDEXED_MAX = 64
# Read-ahead versions kept at most (each is taken by the command that asked for it, right after).
_PREFETCH_MAX = 10_000


def event_document(new: NewEvent, *, stream_version: int) -> dict[str, Any]:
    """The stored document of ``new`` as version ``stream_version`` of its stream, without its position (``_id``
    and ``position`` are added when the commit takes them)."""
    return {
        "event_id": new.id,
        "type": new.data.event_type,
        "schema": new.data.schema_version,
        "stream": new.stream,
        "stream_version": stream_version,
        "occurred_at": new.occurred_at,
        "actor_id": new.actor_id,
        "correlation_id": new.correlation_id,
        "causation_id": new.causation_id,
        # Every event has a key: FerretDB has no partial unique indexes.
        "idempotency_key": new.idempotency_key or f"event:{new.id}",
        "data": new.data.model_dump(mode="python"),
    }


@dataclass(slots=True)
class _Pending:
    new: NewEvent
    expected_version: int
    key: str
    doc: dict[str, Any]
    # None when written; the earlier event when its key was used already; an exception for a conflict.
    outcome: asyncio.Future[Envelope | None]


class EventStore(EventReader):
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        super().__init__(db)
        self.legacy_outbox = db[LEGACY_OUTBOX]
        # Appends from one process are written in batches by one flusher at a time, so they never race each other
        # for a position; races with other processes are settled by the unique _id.
        self._queue: list[_Pending] = []
        self._flusher: asyncio.Task[None] | None = None
        # This process's writes to the log's database go one at a time: SQLite (under FerretDB) takes one writer,
        # and concurrent ones wait in its busy loop, which costs far more than waiting here.
        self._write_lock = asyncio.Lock()
        self._last_position: int | None = None
        # What this process learnt: the newest event per stream, and events by idempotency key.
        self._heads: Lru[str, Envelope] = Lru(_CACHE_MAX)
        self._by_key: Lru[str, Envelope] = Lru(_CACHE_MAX)
        # The index checkpoint moves at most once a second: a start after a crash reads at most a second of appends
        # by _id, and a group commit saves one write.
        self._checkpointed_at = 0.0
        # Streams this process lost a race on: their version is at least this (an index entry below it is stale).
        self._at_least: dict[str, int] = {}
        self._stream_locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        # Versions read ahead for a command about to ask for them (``prefetch_versions``), each taken once.
        self._prefetched: dict[str, int] = {}
        # The log may hold events past the index's checkpoint without their entries: a commit that failed for want
        # of the database may have been stored all the same, or its index write failed. They are indexed from the
        # log (by _id, from the checkpoint) before the next commit: the checkpoint never passes them, and a retry
        # finds its event by key through the index instead of scanning the log.
        self._reindex = False
        # Set by a service that answers requests: appends fail at once while it is open (shared/breaker.py).
        self.breaker: DatabaseBreaker | None = None

    async def ensure_indexes(self) -> None:
        await self.events.create_index(
            [("stream", ASCENDING), ("stream_version", ASCENDING)], unique=True, name="stream_version"
        )
        await self.events.create_index([("idempotency_key", ASCENDING)], unique=True, name="idempotency_key")
        # Used by MongoDB for tools that select by type (FerretDB scans instead).
        await self.events.create_index([("type", ASCENDING), ("_id", ASCENDING)], name="type")

    # -- appending ----------------------------------------------------------------------------------------------

    async def append(self, new: NewEvent, *, expected_version: int) -> AppendResult:
        """Append ``new`` as version ``expected_version + 1`` of its stream.

        Returns the stored event, or the event first stored under the same idempotency key. Raises
        ``ConcurrencyError`` when the stream is no longer at ``expected_version``.
        """
        if self.breaker is not None:
            self.breaker.check()  # the database is away: fail now rather than queue behind a timeout
        doc = event_document(new, stream_version=expected_version + 1)
        key = str(doc["idempotency_key"])
        pending = _Pending(new, expected_version, key, doc, asyncio.get_running_loop().create_future())
        self._queue.append(pending)
        if self._flusher is None or self._flusher.done():
            # The writing runs in a task of its own: each append waits for its own group only, not for the queue
            # to run dry (under steady load it never does), and a cancelled request cannot stop the writing.
            self._flusher = asyncio.get_running_loop().create_task(self._flush_queue(), name="event-store-flush")
        existing = await pending.outcome
        if existing is not None:
            return AppendResult(existing, created=False)
        event = Envelope.from_document(doc)
        self._heads.remember(new.stream, event)
        if new.idempotency_key is not None:
            self._by_key.remember(key, event)
        return AppendResult(event, created=True)

    async def _flush_queue(self) -> None:
        while self._queue:
            batch, self._queue = self._queue, []
            try:
                await self._flush(batch)
            except Exception as exc:  # the database failed: every writer in the batch hears it
                failed = batch
                if isinstance(exc, ConnectionFailure):
                    # And every writer queued behind it: each would otherwise wait a timeout of its own.
                    failed, self._queue = [*batch, *self._queue], []
                    # The batch may be in the log though unheard of: look before the next commit.
                    self._reindex, self._last_position = True, None
                    if self.breaker is not None:
                        self.breaker.trip(exc)
                for item in failed:
                    if not item.outcome.done():
                        item.outcome.set_exception(exc)
            except BaseException:  # shutting down: nobody waits in vain
                for item in [*batch, *self._queue]:
                    item.outcome.cancel()
                raise

    async def _flush(self, batch: list[_Pending]) -> None:
        """Group commit: write every queued append at once, at consecutive positions.

        One (ordered) insert for the batch's events and one write of their index entries, instead of two per event:
        the log takes many more appends per second, and under load each waits less. An insert refused part-way
        leaves the events before it written; the refused one is explained (a retry, a conflict, or a position
        another process took) and the rest go round again.
        """
        for _ in range(_POSITION_ATTEMPTS):
            if not batch:
                return
            if self._reindex:
                await self.catch_up_index()  # also finds the head of the log
                self._reindex = False
            first = (await self._cached_last_position()) + 1
            for offset, item in enumerate(batch):
                position = first + offset
                item.doc.update(_id=position_id(position), position=position)
            try:
                async with self._write_lock:
                    await self.events.insert_many([item.doc for item in batch], ordered=True)
                    self._last_position = first + len(batch) - 1
                    # The event is in the log, the truth: an appender that need not wait for the index hears now.
                    for item in batch:
                        if not item.new.indexed_before_answer:
                            item.outcome.set_result(None)
                    # The others hear once it is indexed: then any process finds the event by its key (a sign-up,
                    # then a login answered by another instance). The next commit waits for this write either way.
                    await self._index([item.doc for item in batch])
                for item in batch:
                    if not item.outcome.done():
                        item.outcome.set_result(None)
            except BulkWriteError as exc:
                errors = exc.details.get("writeErrors", [])
                failed = int(errors[0]["index"]) if errors else 0
                self._last_position = first + failed - 1 if failed else self._last_position
                async with self._write_lock:
                    # Indexed before the conflict is explained: the explanation may need these very entries.
                    await self._index([item.doc for item in batch[:failed]])
                for item in batch[:failed]:
                    item.outcome.set_result(None)
                refused, batch = batch[failed], batch[failed + 1 :]
                try:
                    existing = await self._explain_conflict(
                        refused.new, refused.expected_version, int(refused.doc["position"]), refused.key
                    )
                except ConcurrencyError as conflict:
                    refused.outcome.set_exception(conflict)
                    continue
                if existing is not None:
                    refused.outcome.set_result(existing)
                else:
                    batch.insert(0, refused)  # its position was taken by another process: go round again
                continue
            return
        for item in batch:
            item.outcome.set_exception(RuntimeError("could not allocate an event position"))

    async def _index(self, docs: list[dict[str, Any]]) -> None:
        """Index appended events. A failure does not fail the appends, whose events are in the log: they are
        indexed from the log before the next commit (``_reindex``), and readers allow for an index behind."""
        try:
            await self.index.record(docs, checkpoint=self._checkpoint_due())
        except Exception as exc:
            self._reindex = True
            log.warning("could not index appended events; indexing from the log next", extra={"error": repr(exc)})

    def _checkpoint_due(self) -> bool:
        current = time.monotonic()
        if current - self._checkpointed_at < _CHECKPOINT_SECONDS:
            return False
        self._checkpointed_at = current
        return True

    async def _explain_conflict(self, new: NewEvent, expected_version: int, position: int, key: str) -> Envelope | None:
        """After a refused insert: the earlier event under the key, None to retry at another position, or raise.

        FerretDB does not say which unique index refused, so look, by ``_id`` first: the position (another process
        took it), the key's index entry (a retry), the stream's head (a lost race). Only when the index is behind
        the log (another process's entries not written yet, or lost in a crash) are the events themselves queried.
        """
        taken = await self.at(position)
        if taken is not None and taken.id != new.id:
            self._last_position = await self.probe_head(position)  # another process took the position
            return None
        if is_command_key(key):
            existing = await self.find_by_idempotency_key(key, exhaustive=False)
            if existing is not None:
                return existing
        head = await self.index.head(new.stream)
        if head is not None and head.version > expected_version:
            self.forget(new.stream, at_least=expected_version + 1)
            raise ConcurrencyError(new.stream, expected_version)
        # Another process's append whose index entry is not written yet is among the newest events of the log.
        newest = await self._newest_documents()
        if is_command_key(key):
            for doc in newest:
                if doc["idempotency_key"] == key:
                    return Envelope.from_document(doc)
        ahead = [d for d in newest if d["stream"] == new.stream and int(d["stream_version"]) > expected_version]
        if ahead:
            # The newest of them is the stream's head (nothing is newer in the log): the retry decides on it.
            latest = Envelope.from_document(max(ahead, key=lambda d: int(d["stream_version"])))
            self.forget(new.stream, at_least=latest.stream_version)
            self._heads.remember(new.stream, latest)
            raise ConcurrencyError(new.stream, expected_version)
        # Not among them either (an index far behind, or lost in a crash): ask the log itself.
        if is_command_key(key):
            existing = await self.find_by_idempotency_key(key, exhaustive=True)
            if existing is not None:
                return existing
        if await self.events.find_one({"stream": new.stream, "stream_version": expected_version + 1}) is not None:
            self.forget(new.stream, at_least=expected_version + 1)
            raise ConcurrencyError(new.stream, expected_version)
        return None

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
            return await append_at_end(self, stream, build, attempts=attempts)

    async def _cached_last_position(self) -> int:
        if self._last_position is None:
            self._last_position = await self.last_position()
        return self._last_position

    # -- reading one stream or key ------------------------------------------------------------------------------

    async def catch_up_index(self) -> int:
        """Index the events past the index's checkpoint (at start: a crash may have come between an append and its
        index entry); returns how many. Reads by ``_id`` only: positions are gapless, so the first one missing
        is the head. A log that was never indexed (written by an older Parley) is indexed from one full read."""
        checkpoint = await self.index.checkpoint()
        if checkpoint is None and await self.events.find_one({"_id": position_id(1)}) is not None:
            log.warning("indexing the event log (once, after an upgrade)")
            fields = {"stream": 1, "stream_version": 1, "position": 1, "type": 1, "idempotency_key": 1}
            order: PositionOrder[dict[str, Any]] = PositionOrder(0)
            batch: list[dict[str, Any]] = []
            count = 0
            async for doc in self.events.find({}, projection=fields, batch_size=2000):
                batch += order.add(int(doc["position"]), doc)
                if len(batch) >= 1000:
                    await self.index.record(batch)
                    count, batch = count + len(batch), []
            await self.index.record(batch)
            return count + len(batch)
        after = checkpoint or 0
        count = 0
        while True:
            ahead = range(after + 1, after + 1 + PROBE)
            found = {int(d["position"]): d for d in (await find_by_id(self.events, map(position_id, ahead))).values()}
            run = []
            for position in range(after + 1, after + 1 + PROBE):
                if position not in found:
                    break
                run.append(found[position])
            await self.index.record(run)
            count += len(run)
            after += len(run)
            if len(run) < PROBE:
                # The head of the log, found on the way: the first append needs no probe of its own.
                self._last_position = max(self._last_position or 0, after)
                return count

    async def last_event(self, stream: str) -> Envelope | None:
        """The stream's newest event: from this process's memory, else from the index (two reads by ``_id``)."""
        return (await self.last_events([stream]))[stream]

    async def last_events(self, streams: Sequence[str]) -> dict[str, Envelope | None]:
        """The newest event of each stream. What this process does not remember is read in one ``$in`` on the
        index and one on the log (per chunk), not two reads per stream: a connect storm settles thousands at once.
        A stream whose index entry is behind what this process saw is asked of the log itself."""
        found: dict[str, Envelope | None] = {}
        unknown = []
        for stream in dict.fromkeys(streams):
            cached = self._heads.get(stream)
            if cached is not None:
                found[stream] = cached
            else:
                unknown.append(stream)
        heads = {
            stream: head
            for stream, head in (await self.index.heads(unknown)).items()
            if head.version >= self._at_least.get(stream, 0)  # an entry behind what this process saw is no use
        }
        events = await self._read_positions(head.position for head in heads.values())
        for stream in unknown:
            head = heads.get(stream)
            if head is None and self._at_least.get(stream, 0) == 0:
                found[stream] = None  # a stream nobody appended to
                continue
            event = events.get(head.position) if head is not None else None
            if event is None or event.stream != stream:
                found[stream] = await self._head_from_log(stream)
                continue
            self._heads.remember(stream, event)
            self._at_least.pop(stream, None)
            found[stream] = event
        return found

    async def _head_from_log(self, stream: str) -> Envelope | None:
        """The stream's head asked of the log itself, when its index entry is known to be behind (another process
        wrote the stream and its entry is not there yet, or was lost in a crash); the entry is repaired."""
        docs = [doc async for doc in self.events.find({"stream": stream})]
        if not docs:
            return None
        docs.sort(key=lambda d: int(d["stream_version"]))
        latest = {str(doc["type"]): int(doc["position"]) for doc in docs}
        await self.index.repair_head(stream, docs[-1], latest)
        event = Envelope.from_document(docs[-1])
        self._heads.remember(stream, event)
        self._at_least.pop(stream, None)
        return event

    async def latest_of_types(self, stream: str, types: Sequence[str]) -> list[Envelope]:
        """The stream's newest event of each of ``types`` that it has, in stream order (from the index)."""
        head = await self.index.head(stream)
        if head is None:
            return []
        if head.version < self._at_least.get(stream, 0):
            await self._head_from_log(stream)
            head = await self.index.head(stream)
            assert head is not None
        positions = [head.latest[t] for t in types if t in head.latest]
        found = await self._read_positions(positions)
        return sorted((e for e in found.values() if e.stream == stream), key=lambda e: e.stream_version)

    def forget(self, stream: str, *, at_least: int = 0) -> None:
        """Drop what this process remembers of a stream (after losing a race on it): look it up next time.
        ``at_least``: the stream is known to have reached this version."""
        self._heads.pop(stream, None)
        self._prefetched.pop(stream, None)
        if at_least:
            self._at_least[stream] = max(at_least, self._at_least.get(stream, 0))

    async def prefetch_versions(self, streams: Sequence[str]) -> None:
        """Read ahead, in one read by ``_id``, the heads of streams a command is about to ask the version of and
        this process does not know (a send's recipient and conversation): each next ``stream_version`` of them is
        answered from here once."""
        unknown = [s for s in streams if s not in self._heads]
        if not unknown:
            return
        if len(self._prefetched) > _PREFETCH_MAX:  # read ahead for commands that stopped before asking
            self._prefetched.clear()
        heads = await self.index.heads(unknown)
        for stream in unknown:
            head = heads.get(stream)
            if head is not None and head.version >= self._at_least.get(stream, 0):
                self._prefetched[stream] = head.version
            elif head is None and self._at_least.get(stream, 0) == 0:
                # No head: nobody appended to it (a first message between two people), as stream_version decides.
                self._prefetched[stream] = 0

    async def stream_version(self, stream: str) -> int:
        """The version of the stream's last event, 0 for a stream with no events: from this process's memory, else
        from the index's head alone (one read by ``_id``; deciding a version does not need the event itself)."""
        cached = self._heads.get(stream)
        if cached is not None:
            return cached.stream_version
        prefetched = self._prefetched.pop(stream, None)
        if prefetched is not None:
            return prefetched
        at_least = self._at_least.get(stream, 0)
        head = await self.index.head(stream)
        if head is not None and head.version >= at_least:
            return head.version
        if head is None and at_least == 0:
            return 0  # a stream nobody appended to
        event = await self.last_event(stream)  # the index is behind what this process saw: ask the log
        return event.stream_version if event else 0

    async def latest_stream_version(self, stream: str, *, claimed: int) -> int:
        """The stream's version with appends not indexed yet: another process answers a message before writing its
        index entry, and a client may act on the message (a read receipt) first. An event not indexed yet is among
        the newest of the whole log, so read those by ``_id``: a bounded read. A claim further past the index
        than those events could reach is false, and answered from the index alone."""
        self.forget(stream)
        version = await self.stream_version(stream)
        if claimed <= version or claimed > version + _UNINDEXED_MAX:
            return version
        newest = await self._newest_documents()
        return max([version, *(int(doc["stream_version"]) for doc in newest if doc["stream"] == stream)])

    async def _newest_documents(self) -> list[dict[str, Any]]:
        """The newest events of the whole log as stored (read by ``_id``): where every event not indexed yet is."""
        end = max(await self.last_position(), self._last_position or 0)
        first = max(1, end - _UNINDEXED_MAX + 1)
        return list((await find_by_id(self.events, [position_id(p) for p in range(first, end + 1)])).values())

    def recall(self, key: str) -> Envelope | None:
        """The event under ``key`` if this process appended or found it lately: a free pre-check before an append
        (the unique index catches whatever memory misses)."""
        return self._by_key.get(key)

    async def find_by_idempotency_key(self, key: str, *, exhaustive: bool = True) -> Envelope | None:
        """The event stored under ``key``.

        Answers from this process's memory, then from the index. A quick lookup stops there; an exhaustive one
        asks the log itself (the index may be a moment behind another process's append).
        """
        cached = self._by_key.get(key)
        if cached is not None:
            return cached
        event = await super().find_by_idempotency_key(key, exhaustive=exhaustive)
        if event is None:
            return None
        self._by_key.remember(key, event)
        return event

    async def mark_published(self, position: int) -> None:
        """Move the published mark forward to ``position`` (never back: several processes move it)."""
        async with self._write_lock:
            await self.meta.update_one({"_id": PUBLISHED}, {"$max": {"position": position}}, upsert=True)

    async def open_published_mark(self) -> int:
        """The published mark, set first on a log that has none, and taken back to the oldest event a version
        before the mark left unpublished (its outbox entries, read once; the collection is then dropped)."""
        stored = await self.meta.find_one({"_id": PUBLISHED})
        waiting = [int(doc["position"]) async for doc in self.legacy_outbox.find({}, projection={"position": True})]
        if stored is not None and not waiting:
            return int(stored["position"])
        # Without a mark, every event in the log was published: the entries were the only record of any that was not.
        mark = min(waiting) - 1 if waiting else await self.last_position()
        async with self._write_lock:
            # A replace, not $max: the mark of a version before it is the newest published event, not a bound.
            await self.meta.replace_one({"_id": PUBLISHED}, {"_id": PUBLISHED, "position": mark}, upsert=True)
        if waiting:
            await self.legacy_outbox.drop()
            log.info("outbox entries taken over by the published mark", extra={"waiting": len(waiting), "mark": mark})
        return mark

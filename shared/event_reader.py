"""Reading the event log: by position, in order, and a stream's head or a key's event through the log's index.

``EventReader`` is the read-only face of the log: the query API, audit, replay and the projector's gap filling read
through it and build no writer. ``EventStore`` (shared/event_store.py) is the writer, a reader too, and answers
the same lookups from what its own appends taught it.

Access paths are chosen for FerretDB 1.24 on SQLite, which answers a query without reading the whole collection
only when its filter is exactly one ``_id`` equality: events are read by position (``_id``), a stream's head and a
key's event through the log's own index (shared/stream_index.py), the head of the log by probing positions forward
from a hint. Scans of the log are left to replay, audit, and the rare lookup the index cannot answer.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterable, Sequence
from typing import Any, Generic, TypeVar

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.database import AsyncDatabase

from shared.events import Envelope, position_id
from shared.mongo import find_by_id
from shared.stream_index import StreamIndex

log = logging.getLogger(__name__)

T = TypeVar("T")

EVENTS = "events"
META = "event_meta"
# The meta document of the published mark (shared/outbox.py).
PUBLISHED = "head"
# Positions looked up at once when probing for the head of the log or reading the index's missing tail.
PROBE = 32


class PositionOrder(Generic[T]):
    """Puts items that arrive about in position order (a read of the log, the bus) back in exact order.

    Positions are gapless, so an item waits here until the one before it has come; items before ``after``, past
    ``until``, or already waiting are dropped (a duplicate publish, a read that overlaps the previous one).
    """

    def __init__(self, after: int, until: int | None = None) -> None:
        self.next = after + 1
        self.until = until
        self.waiting: dict[int, T] = {}

    @property
    def done(self) -> bool:
        return self.until is not None and self.next > self.until

    def add(self, position: int, item: T) -> list[T]:
        """Take an item; returns the items that are now next in order (often just this one)."""
        if position >= self.next and position not in self.waiting and (self.until is None or position <= self.until):
            self.waiting[position] = item
        return self.ready()

    def ready(self) -> list[T]:
        run = []
        while self.next in self.waiting:
            run.append(self.waiting.pop(self.next))
            self.next += 1
        return run

    def passed(self, position: int) -> None:
        """Items up to ``position`` were found elsewhere (a gap filled from the log)."""
        self.next = max(self.next, position + 1)
        self.waiting = {p: item for p, item in self.waiting.items() if p >= self.next}


class EventReader:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.db = db
        self.events = db[EVENTS]
        self.index = StreamIndex(db)
        self.meta = db[META]

    # -- a stream, a key --------------------------------------------------------------------------------------------

    async def last_event(self, stream: str) -> Envelope | None:
        """The stream's newest event: its index entry, then the event at that position (two reads by ``_id``)."""
        head = await self.index.head(stream)
        if head is None:
            return None  # a stream nobody appended to (the index is written before an append is acknowledged)
        event = await self.at(head.position)
        if event is not None and event.stream == stream:
            return event
        # An entry this reader cannot use (the log restored without its index): ask the log itself.
        doc = await self.events.find_one({"stream": stream}, sort=[("stream_version", DESCENDING)])
        return Envelope.from_document(doc) if doc else None

    async def find_by_idempotency_key(self, key: str, *, exhaustive: bool = True) -> Envelope | None:
        """The event stored under ``key``: through the index; an exhaustive lookup also asks the log itself (the
        index may be a moment behind another process's append)."""
        position = await self.index.key_position(key)
        event = await self.at(position) if position is not None else None
        if event is None and exhaustive:
            doc = await self.events.find_one({"idempotency_key": key})
            event = Envelope.from_document(doc) if doc else None
        return event

    async def read_stream(self, stream: str, *, after_version: int = 0) -> list[Envelope]:
        """Every event of a stream. A scan of the whole log on FerretDB: for tools and tests, not request paths."""
        cursor = self.events.find({"stream": stream, "stream_version": {"$gt": after_version}}).sort(
            "stream_version", ASCENDING
        )
        return [Envelope.from_document(doc) async for doc in cursor]

    # -- reading by position ------------------------------------------------------------------------------------

    async def at(self, position: int) -> Envelope | None:
        doc = await self.events.find_one({"_id": position_id(position)})
        return Envelope.from_document(doc) if doc else None

    async def at_positions(self, positions: Iterable[int]) -> list[Envelope]:
        """The events at these positions that exist, in position order (reads by ``_id``)."""
        found = await self._read_positions(positions)
        return [found[p] for p in sorted(found)]

    async def _read_positions(self, positions: Iterable[int]) -> dict[int, Envelope]:
        docs = await find_by_id(self.events, [position_id(p) for p in positions])
        return {int(doc["position"]): Envelope.from_document(doc) for doc in docs.values()}

    async def probe_head(self, at_least: int) -> int:
        """The head of the log, known to be at least ``at_least``: positions are gapless, so probe forward by
        ``_id`` (a handful of reads at a time) until one is missing."""
        head = at_least
        probe = 4  # the hints are usually a few positions behind, or none
        while True:
            ahead = range(head + 1, head + 1 + probe)
            probe = PROBE
            docs = await find_by_id(self.events, [position_id(p) for p in ahead])
            present = {int(d["position"]) for d in docs.values()}
            for position in ahead:
                if position not in present:
                    return head
                head = position

    async def read_all(
        self,
        *,
        after_position: int = 0,
        types: Sequence[str] | None = None,
        batch_size: int = 1000,
        until_position: int | None = None,
        limit: int = 0,
    ) -> AsyncIterator[Envelope]:
        """Every event after ``after_position`` in position order, optionally only some types (one query)."""
        id_filter: dict[str, str] = {"$gt": position_id(after_position)}
        if until_position is not None:
            id_filter["$lte"] = position_id(until_position)
        query: dict[str, Any] = {"_id": id_filter}
        if types:
            query["type"] = {"$in": list(types)}
        cursor = self.events.find(query, batch_size=batch_size).sort("_id", ASCENDING).limit(limit)
        async for doc in cursor:
            yield Envelope.from_document(doc)

    async def scan(
        self, *, after_position: int = 0, until_position: int | None = None, batch_size: int = 2000
    ) -> AsyncIterator[Envelope]:
        """Every event after ``after_position`` (up to ``until_position``) in position order, for replays.

        Asks for no server-side order: FerretDB sorts a whole result in memory (several times the cost of the
        read itself), while documents come back in about the order they were written. Positions are gapless,
        so the few that arrive early wait here for the one before them. Events past a gap that stays open to the
        end (appended while this read ran) are left out: the caller continues from the last position yielded.
        """
        query: dict[str, Any] = {}
        if after_position:
            query["_id"] = {"$gt": position_id(after_position)}
        order: PositionOrder[dict[str, Any]] = PositionOrder(after_position, until_position)
        async for doc in self.events.find(query, batch_size=batch_size):
            for ready in order.add(int(doc["position"]), doc):
                yield Envelope.from_document(ready)  # decoded only once in order
        if order.waiting:
            # Normal for an append in flight; a gap that stays means an event was removed from the log.
            log.warning(
                "read of the log stopped at a gap",
                extra={"missing_position": order.next, "later_events": len(order.waiting), "up_to": max(order.waiting)},
            )

    async def count(self) -> int:
        """About how many events the log holds (collection statistics: no read of the events), for progress."""
        cursor = await self.events.aggregate([{"$collStats": {"count": {}}}])
        return sum([int(doc.get("count", 0)) async for doc in cursor])

    async def reached_position(self) -> int:
        """A position the log is known to have reached: the outbox's published mark in ``meta`` (a moment behind
        the head), without the query past it. Enough wherever a lower bound will do, such as where a client starts
        catching up from; on FerretDB the query past the mark reads the whole log."""
        return await self.published_mark()

    async def last_position(self) -> int:
        """The head of the log: probed forward by ``_id`` from the highest of the hints (the published mark, the
        index's checkpoint), so it reads only the few positions past them."""
        hint, indexed = await asyncio.gather(self.reached_position(), self.index.checkpoint())
        return await self.probe_head(max(hint, indexed or 0))

    async def counts_by_type(self) -> dict[str, int]:
        """How many events of each type the log holds (one aggregation over the whole log: for operators)."""
        cursor = await self.events.aggregate([{"$group": {"_id": "$type", "count": {"$sum": 1}}}])
        return {str(doc["_id"]): int(doc["count"]) async for doc in cursor}

    # -- the published mark (shared/outbox.py) ------------------------------------------------------------------

    async def published_mark(self) -> int:
        """Every event through this position has been published to the bus (0: none known)."""
        doc = await self.meta.find_one({"_id": PUBLISHED})
        return int(doc["position"]) if doc else 0

"""The ``catchup`` read model: per user, the messages and receipts concerning them, in log order.

A reconnecting client asks for everything after the last position it applied. Each user's entries are numbered in
log order and kept ``CATCHUP_BUCKET`` to a document (``<user>|<bucket>``); the user's own document (the head) names
the newest bucket, and is written only when a new bucket opens: an event costs the rewrite of one bucket per person
it concerns. A catch-up reads the newest buckets back to its cursor (or, for a client far behind, finds its bucket
by bisection): bounded by what it returns, whatever the size of the log.

The query API reads the log itself past ``~through``, the position up to which every event has been applied here.
So events are applied strictly in position order: when the bus hands over an event past a gap (two appends
published out of order), the missing positions are read from the log by ``_id`` and applied first. Strict order
also makes the numbering the same live and in a replay.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from projector.bulk import ViewDocuments
from shared.conversations import catchup_entry
from shared.events import Envelope
from shared.mongo import find_by_id
from shared.views import CATCHUP, CATCHUP_BUCKET, CATCHUP_THROUGH, ViewCatalog, catchup_bucket_id

log = logging.getLogger(__name__)

ReadPositions = Callable[[Iterable[int]], Awaitable[list[Envelope]]]
# Positions read from the log at once while filling a gap.
_GAP_CHUNK = 500


class CatchupProjection:
    name = "catchup"
    models: tuple[str, ...] = (CATCHUP,)

    def __init__(self, views: ViewCatalog) -> None:
        self.docs = ViewDocuments(views[CATCHUP], limit=5_000)
        self.read_positions: ReadPositions | None = views.read_positions
        self.through: int | None = None  # loaded on first use
        # Per user, how many entries there are and the position of the newest: known from the user's newest
        # bucket, kept here between batches (the stored head only names that bucket).
        self.counts: dict[str, tuple[int, int]] = {}

    async def ensure_indexes(self) -> None:
        """Read by ``_id`` only."""

    def begin_rebuild(self) -> None:
        self.docs.begin_rebuild()
        self.counts.clear()
        self.through = 0

    async def flush(self) -> None:
        await self.docs.flush()
        # ~through is written with the rest: a rebuilt view holds every event up to where the replay read.
        self.docs.rebuilding = False
        self.counts.clear()

    async def apply_batch(self, events: list[Envelope]) -> None:
        if self.through is None:
            stored = await self.docs.collection.find_one({"_id": CATCHUP_THROUGH})
            self.through = int(stored["position"]) if stored else 0
        fresh = sorted({e.position: e for e in events if e.position > self.through}.values(), key=lambda e: e.position)
        if not fresh:
            return
        ordered = await self._fill_gaps(self.through, fresh)
        await self._apply(ordered)

    async def _fill_gaps(self, through: int, events: list[Envelope]) -> list[Envelope]:
        have = {e.position for e in events}
        missing = [p for p in range(through + 1, events[-1].position) if p not in have]
        if not missing:
            return events
        if self.read_positions is None:
            raise RuntimeError(f"events {missing[0]}..{missing[-1]} are missing and there is no log to read them from")
        log.info("catch-up view filling a gap from the log", extra={"from": missing[0], "count": len(missing)})
        found: list[Envelope] = []
        for start in range(0, len(missing), _GAP_CHUNK):
            found += await self.read_positions(missing[start : start + _GAP_CHUNK])
        if len(found) < len(missing):
            # Positions are gapless in the log: anything missing there is not committed yet. Try again later.
            raise RuntimeError(f"positions before {events[-1].position} are not in the log yet")
        return sorted([*events, *found], key=lambda e: e.position)

    async def _load_counts(self, users: list[str]) -> None:
        """Count the entries of users not in memory, from their stored head and newest buckets."""
        if len(self.counts) > self.docs.limit and not self.docs.rebuilding:
            self.counts.clear()
        unknown = [u for u in users if u not in self.counts]
        if not unknown or self.docs.rebuilding:  # a rebuild starts empty and keeps every count in memory
            self.counts.update((u, (0, 0)) for u in unknown)
            return
        heads = await find_by_id(self.docs.collection, unknown)
        tops = {u: int(heads[u]["top"]) if u in heads else 0 for u in unknown}
        while tops:
            # The head's bucket and the one after it (written before a crash could take the head's update).
            ids = [catchup_bucket_id(u, n) for u, top in tops.items() for n in (top, top + 1)]
            await self.docs.load(ids)
            further = {}
            for user, top in tops.items():
                if catchup_bucket_id(user, top + 1) in self.docs.docs:
                    further[user] = top + 1
                    continue
                bucket = self.docs.docs.get(catchup_bucket_id(user, top))
                entries = bucket["entries"] if bucket else []
                self.counts[user] = (top * CATCHUP_BUCKET + len(entries), entries[-1]["position"] if entries else 0)
            tops = further

    async def _apply(self, events: list[Envelope]) -> None:
        concerned = [c for c in map(catchup_entry, events) if c is not None]
        users = list(dict.fromkeys(user for users, _ in concerned for user in users))
        await self._load_counts(users)
        counts = {user: self.counts[user] for user in users}
        await self.docs.load([catchup_bucket_id(u, count // CATCHUP_BUCKET) for u, (count, _) in counts.items()])
        changed: dict[str, dict[str, Any]] = {}
        heads: dict[str, dict[str, Any]] = {}
        for users_of_event, entry in concerned:
            for user in dict.fromkeys(users_of_event):
                count, last_position = counts[user]
                if entry["position"] <= last_position:
                    continue  # applied before (a batch written but not its ~through)
                number = count // CATCHUP_BUCKET
                bucket_id = catchup_bucket_id(user, number)
                bucket = self.docs.edit(bucket_id, changed, _new_bucket(bucket_id, user, number))
                if all(e["position"] != entry["position"] for e in bucket["entries"]):
                    bucket["entries"].append(entry)
                if count % CATCHUP_BUCKET == 0 and number > 0:
                    heads[user] = {"_id": user, "top": number}  # a new newest bucket: the head names it
                counts[user] = (count + 1, entry["position"])
        through: dict[str, Any] = {"_id": CATCHUP_THROUGH, "position": max(self.through or 0, events[-1].position)}
        if self.docs.rebuilding:
            await self.docs.write(changed | heads)
            self.docs.docs[CATCHUP_THROUGH] = through
            # The log is read in order: a full bucket gets no more entries.
            await self.docs.release([i for i, d in changed.items() if len(d["entries"]) >= CATCHUP_BUCKET])
        else:
            # One ordered command: buckets first, then the heads naming new buckets, ~through last. A head is
            # written only when a user's entries open a new bucket, so most events cost their buckets alone.
            await self.docs.write(changed | heads | {CATCHUP_THROUGH: through}, ordered=True)
        self.counts.update(counts)
        self.through = through["position"]


def _new_bucket(bucket_id: str, user: str, number: int) -> Callable[[], dict[str, Any]]:
    return lambda: {"_id": bucket_id, "user": user, "bucket": number, "entries": []}

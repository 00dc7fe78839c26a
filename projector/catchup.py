"""The ``catchup`` read model: per user, the messages and receipts concerning them, in log order.

A reconnecting client asks for everything after the last position it applied. Each user's entries are numbered in
log order and kept ``CATCHUP_BUCKET`` to a document (``<user>|<bucket>``); the user's own document holds how many
there are and the position of the newest. A catch-up reads the newest buckets back to its cursor (or, for a client
far behind, finds its bucket by bisection): bounded by what it returns, whatever the size of the log.

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
from shared.mongo import replace_by_id
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

    async def ensure_indexes(self) -> None:
        """Read by ``_id`` only."""

    def begin_rebuild(self) -> None:
        self.docs.begin_rebuild()
        self.through = 0

    async def flush(self) -> None:
        await self.docs.flush()
        # ~through is written with the rest: a rebuilt view holds every event up to where the replay read.
        self.docs.rebuilding = False

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

    async def _apply(self, events: list[Envelope]) -> None:
        concerned = [c for c in map(catchup_entry, events) if c is not None]
        users = list(dict.fromkeys(user for users, _ in concerned for user in users))
        await self.docs.load(users)
        heads = {user: self.docs.docs.get(user) or {"_id": user, "count": 0, "last_position": 0} for user in users}
        tops = [catchup_bucket_id(u, (h["count"] - 1) // CATCHUP_BUCKET) for u, h in heads.items() if h["count"]]
        await self.docs.load(tops)
        changed: dict[str, dict[str, Any]] = {}
        for users_of_event, entry in concerned:
            for user in dict.fromkeys(users_of_event):
                head = self.docs.edit(user, changed, _new_head(user))
                if entry["position"] <= head["last_position"]:
                    continue  # applied before (a batch written but not its ~through)
                bucket_id = catchup_bucket_id(user, head["count"] // CATCHUP_BUCKET)
                bucket = self.docs.edit(bucket_id, changed, _new_bucket(bucket_id, user, head["count"]))
                if all(e["position"] != entry["position"] for e in bucket["entries"]):
                    bucket["entries"].append(entry)
                head["count"] += 1
                head["last_position"] = entry["position"]
        # Buckets and counts first, ~through last: after a crash in between, the events are applied again and
        # the positions above tell what is already there.
        await self.docs.write({i: d for i, d in changed.items() if "entries" in d})
        await self.docs.write({i: d for i, d in changed.items() if "entries" not in d})
        through: dict[str, Any] = {"_id": CATCHUP_THROUGH, "position": max(self.through or 0, events[-1].position)}
        if self.docs.rebuilding:
            self.docs.docs[CATCHUP_THROUGH] = through
            # The log is read in order: a full bucket gets no more entries.
            full = [i for i, d in changed.items() if "entries" in d and len(d["entries"]) >= CATCHUP_BUCKET]
            await self.docs.release(full)
        else:
            await replace_by_id(self.docs.collection, [through])
        self.through = through["position"]


def _new_head(user: str) -> Callable[[], dict[str, Any]]:
    return lambda: {"_id": user, "count": 0, "last_position": 0}


def _new_bucket(bucket_id: str, user: str, count: int) -> Callable[[], dict[str, Any]]:
    return lambda: {"_id": bucket_id, "user": user, "bucket": count // CATCHUP_BUCKET, "entries": []}

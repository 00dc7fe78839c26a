"""The ``catchup`` read model: per user, the messages and receipts concerning them, in log order.

A reconnecting client asks for everything after the last position it applied. Each user's entries are numbered in
log order, one document each (``<user>|<number>``, written once, by an insert); the user's own document (the head)
holds the count rounded down to a multiple of ``CATCHUP_HEAD_EVERY``, rewritten only when that changes.
So an event costs one small insert per person it concerns. A catch-up reads the entries past the head's count and
the page below them in one read by ids (or, for a client far behind, finds its first entry by bisection): bounded by
what it returns, whatever the size of the log.

The query API reads the log itself past ``~through``, the position up to which every event has been applied here.
So events are applied strictly in position order: when the bus hands over an event past a gap (two appends
published out of order), the missing positions are read from the log by ``_id`` and applied first. Strict order
also makes the numbering the same live and in a replay. Entries are inserted in order and each insert command stops
at its first failure, so a user's entries never have holes: after a crash the count is what is stored.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from shared.conversations import catchup_entry, packed
from shared.events import Envelope
from shared.mongo import find_by_id, replace_by_id
from shared.views import CATCHUP, CATCHUP_HEAD_EVERY, CATCHUP_THROUGH, ViewCatalog, catchup_entry_id

log = logging.getLogger(__name__)

ReadPositions = Callable[[Iterable[int]], Awaitable[list[Envelope]]]
# Positions read from the log at once while filling a gap.
_GAP_CHUNK = 500
# Entries inserted by one command at most, and users' counts remembered between batches.
_INSERT_CHUNK = 1000
_COUNTS_MAX = 50_000


class CatchupProjection:
    name = "catchup"
    models: tuple[str, ...] = (CATCHUP,)

    def __init__(self, views: ViewCatalog) -> None:
        self.collection = views[CATCHUP]
        self.read_positions: ReadPositions | None = views.read_positions
        self.through: int | None = None  # loaded on first use
        # Per user, how many entries there are and the position of the newest.
        self.counts: dict[str, tuple[int, int]] = {}
        self.rebuilding = False

    async def ensure_indexes(self) -> None:
        """Read by ``_id`` only."""

    def begin_rebuild(self) -> None:
        """The collection is new and empty: every count starts at zero and stays in memory until ``flush``."""
        self.rebuilding = True
        self.counts.clear()
        self.through = 0

    async def flush(self) -> None:
        # The entries and heads are written as the rebuild goes; ~through last: a rebuilt view holds every event up
        # to where the replay read.
        if self.rebuilding and self.through:
            await replace_by_id(self.collection, [{"_id": CATCHUP_THROUGH, "position": self.through}])
        self.rebuilding = False
        self.counts.clear()

    async def apply_batch(self, events: list[Envelope]) -> None:
        if self.through is None:
            stored = await self.collection.find_one({"_id": CATCHUP_THROUGH})
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
        """Count the entries of users not in memory: from the head's count, looking ahead while entries are there."""
        if len(self.counts) > _COUNTS_MAX and not self.rebuilding:
            self.counts.clear()
        unknown = [u for u in users if u not in self.counts]
        if self.rebuilding or not unknown:
            self.counts.update((u, (0, 0)) for u in unknown)
            return
        heads = await find_by_id(self.collection, unknown)
        start = {u: int(heads[u]["count"]) if u in heads else 0 for u in unknown}
        newest: dict[str, dict[str, Any] | None] = dict.fromkeys(unknown)
        while start:
            # The entry before the count (the newest, if the head is current) and a stretch after it.
            wanted = {u: range(max(0, n - 1), n + CATCHUP_HEAD_EVERY) for u, n in start.items()}
            found = await find_by_id(self.collection, [catchup_entry_id(u, i) for u, r in wanted.items() for i in r])
            further = {}
            for user, numbers in wanted.items():
                present = [i for i in numbers if catchup_entry_id(user, i) in found]
                if present:
                    newest[user] = found[catchup_entry_id(user, present[-1])]
                if present and present[-1] == numbers[-1]:
                    further[user] = numbers[-1] + 1  # the whole stretch is there: look further
                else:
                    last = newest[user]
                    count = int(last["number"]) + 1 if last else 0
                    self.counts[user] = (count, int(last["position"]) if last else 0)
            start = further

    async def _apply(self, events: list[Envelope]) -> None:
        concerned = [c for c in map(catchup_entry, events) if c is not None]
        users = list(dict.fromkeys(user for users, _ in concerned for user in users))
        await self._load_counts(users)
        counts = {user: self.counts[user] for user in users}
        docs: list[dict[str, Any]] = []
        for users_of_event, entry in concerned:
            # The message or receipt is stored packed (one string, read back whole), the position as a field.
            stored = {key: value if key == "position" else packed(value) for key, value in entry.items()}
            for user in dict.fromkeys(users_of_event):
                count, last_position = counts[user]
                if entry["position"] <= last_position:
                    continue  # applied before (a batch written but not its ~through)
                docs.append({"_id": catchup_entry_id(user, count), "user": user, "number": count, **stored})
                counts[user] = (count + 1, entry["position"])
        # The head's count is a multiple of the stretch: the same however the events were batched (live or replay).
        heads = [
            {"_id": user, "count": count - count % CATCHUP_HEAD_EVERY}
            for user, (count, _) in counts.items()
            if count // CATCHUP_HEAD_EVERY > self.counts[user][0] // CATCHUP_HEAD_EVERY
        ]
        through = max(self.through or 0, events[-1].position)
        try:
            # Entries first, in order, each command stopping at its first failure (no holes); then the heads that
            # moved; ~through last. After a crash part-way, the events are applied again and the stored entries
            # tell what is already there.
            for start in range(0, len(docs), _INSERT_CHUNK):
                await self.collection.insert_many(docs[start : start + _INSERT_CHUNK], ordered=True)
            await replace_by_id(self.collection, heads)
            if not self.rebuilding:
                await replace_by_id(self.collection, [{"_id": CATCHUP_THROUGH, "position": through}])
        except BaseException:
            for user in users:  # what is stored is not known: count again from the view next time
                self.counts.pop(user, None)
            raise
        self.counts.update(counts)
        self.through = through

"""The ``catchup`` read model: per user, the messages and receipts concerning them, in log order.

A reconnecting client asks for everything after the last position it applied. Each user's entries are numbered in
log order, one document each (``<user>|<number>``, written once, by an insert). Each complete run of
``CATCHUP_BUCKET`` entries is then sealed into one bucket document (``<user>|b<bucket>``, written once, by an insert
after its entries), the user's own document (the head) is set to how many entries are sealed and the position of
the last of them, and the sealed loose entries are deleted. So an event costs one small insert per person it
concerns, and each ``CATCHUP_BUCKET`` of them one insert, one head write and one delete command more (a rebuild
holds entries in memory until their bucket is sealed, and writes loose only the entries of buckets still open at
its end).
A catch-up reads the buckets and the few loose entries past the head's count in one read by ids (or, for a client
far behind, finds its first entry by bisection): bounded by what it returns, whatever the size of the log.
FerretDB's cost is per document returned, so a hundred entries cost seven buckets, not a hundred documents.

The query API reads the log itself past ``~through``, the position up to which every event has been applied here.
So events are applied strictly in position order: when the bus hands over an event past a gap (two appends
published out of order), the missing positions are read from the log by ``_id`` and applied first. Strict order
also makes the numbering the same live and in a replay. Entries are inserted in order and each insert command stops
at its first failure, so a user's entries never have holes: after a crash the count is what is stored, and the
buckets between the head's count and it (the crash may have come before they were sealed) are sealed again.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import orjson

from shared.conversations import catchup_entry, packed, unpacked
from shared.events import Envelope
from shared.mongo import delete_by_id, find_by_id, insert_new, replace_by_id
from shared.views import (
    CATCHUP,
    CATCHUP_BUCKET,
    CATCHUP_THROUGH,
    ViewCatalog,
    catchup_bucket_id,
    catchup_entry_id,
)

log = logging.getLogger(__name__)

ReadPositions = Callable[[Iterable[int]], Awaitable[list[Envelope]]]
# Positions read from the log at once while filling a gap.
_GAP_CHUNK = 500
# Entries inserted by one command at most, and users' counts remembered between batches.
_INSERT_CHUNK = 1000
_COUNTS_MAX = 50_000
# Users whose unsealed entries are held in memory (each at most 15 entries, about 10 KiB).
_UNSEALED_USERS_MAX = 2_000
# Entries a rebuild holds in memory at most before writing them loose (about 70 MiB).
_REBUILD_HELD_MAX = 100_000


class CatchupProjection:
    name = "catchup"
    models: tuple[str, ...] = (CATCHUP,)

    def __init__(self, views: ViewCatalog) -> None:
        self.collection = views[CATCHUP]
        self.read_positions: ReadPositions | None = views.read_positions
        self.through: int | None = None  # loaded on first use
        # Per user, how many entries there are and the position of the newest; and how many are sealed in buckets.
        self.counts: dict[str, tuple[int, int]] = {}
        self.sealed: dict[str, int] = {}
        # Per recently active user, their entries not sealed yet: a bucket is sealed without reading them back.
        self.unsealed: dict[str, list[dict[str, Any]]] = {}
        self.rebuilding = False
        # Ids of the entries a rebuild has written loose so far (the others it holds are not in the view yet).
        self.spilled: set[str] = set()

    async def ensure_indexes(self) -> None:
        """Read by ``_id`` only."""

    def begin_rebuild(self) -> None:
        """The collection is new and empty: every count starts at zero and stays in memory until ``flush``."""
        self.rebuilding = True
        self.counts.clear()
        self.sealed.clear()
        self.unsealed.clear()
        self.spilled.clear()
        self.through = 0

    async def flush(self) -> None:
        # The buckets and heads are written as the rebuild goes, the entries held in memory now; ~through last: a
        # rebuilt view holds every event up to where the replay read.
        if self.rebuilding:
            await self._write_held()
            if self.through:
                await replace_by_id(self.collection, [{"_id": CATCHUP_THROUGH, "position": self.through}])
        self.rebuilding = False
        self.counts.clear()
        self.sealed.clear()
        self.unsealed.clear()
        self.spilled.clear()

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
            self.sealed.clear()
            self.unsealed.clear()
        unknown = [u for u in users if u not in self.counts]
        if self.rebuilding or not unknown:
            self.counts.update((u, (0, 0)) for u in unknown)
            self.sealed.update((u, 0) for u in unknown)
            return
        heads = await find_by_id(self.collection, unknown)
        start = {u: int(heads[u]["count"]) if u in heads else 0 for u in unknown}
        start = {u: n - n % CATCHUP_BUCKET for u, n in start.items()}
        # Every bucket below the head's count is sealed (the head is written after its buckets); the ones from there
        # up to the count are sealed (again, if a crash came first) by the next write.
        self.sealed.update(start)
        # The newest entry seen, as (number, position): at first the last sealed one, whose position the head keeps
        # (a head written before it did is read from the bucket below it: its loose entries are deleted once
        # sealed), then the loose entries past the head, a stretch at a time.
        newest: dict[str, tuple[int, int]] = {}
        below: dict[str, str] = {}
        for user, n in start.items():
            head = heads.get(user)
            if n and head is not None and int(head["count"]) == n and "position" in head:
                newest[user] = (n - 1, int(head["position"]))
            elif n:
                below[user] = catchup_bucket_id(user, n // CATCHUP_BUCKET - 1)
        while start:
            # The entry before the count (a view from before buckets keeps it) and a stretch after it.
            wanted = {u: range(max(0, n - 1), n + CATCHUP_BUCKET) for u, n in start.items()}
            ids = [catchup_entry_id(u, i) for u, r in wanted.items() for i in r]
            found = await find_by_id(self.collection, [*ids, *below.values()])
            for user, bucket_id in below.items():
                if bucket_id in found:
                    last = orjson.loads(found[bucket_id]["entries"])[-1]
                    newest[user] = (start[user] - 1, int(last["position"]))
            below = {}
            further = {}
            for user, numbers in wanted.items():
                present = [i for i in numbers if catchup_entry_id(user, i) in found]
                if present:
                    doc = found[catchup_entry_id(user, present[-1])]
                    newest[user] = (int(doc["number"]), int(doc["position"]))
                if present and present[-1] == numbers[-1]:
                    further[user] = numbers[-1] + 1  # the whole stretch is there: look further
                else:
                    number, position = newest.get(user, (-1, 0))
                    self.counts[user] = (number + 1, position)
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
        # Every complete run of entries not sealed yet: the same buckets however the events were batched.
        sealed = {user: count - count % CATCHUP_BUCKET for user, (count, _) in counts.items()}
        through = max(self.through or 0, events[-1].position)
        try:
            # Entries first, in order, each command stopping at its first failure (no holes); then the buckets they
            # complete; then the heads that moved; then the sealed loose entries go; ~through last. After a crash
            # part-way, the events are applied again and the stored entries tell what is already there.
            sealing = {user: range(self.sealed[user], n) for user, n in sealed.items() if n > self.sealed[user]}
            # A rebuild starts over after a crash: it holds entries in memory until their bucket is sealed (or
            # memory runs short, or it ends), so most entries are never written loose, and never deleted.
            if not self.rebuilding:
                for start in range(0, len(docs), _INSERT_CHUNK):
                    await self.collection.insert_many(docs[start : start + _INSERT_CHUNK], ordered=True)
            held = [doc for user in users for doc in self.unsealed.get(user, ())]
            last_sealed = await self._seal(sealing, [*held, *docs])
            heads = [{"_id": user, "count": sealed[user], "position": last_sealed[user]} for user in sealing]
            await replace_by_id(self.collection, heads)
            # Sealed entries are read from their bucket: the loose copies go, once the head says they are sealed (a
            # reader that read the head before may still ask for them, and finds the bucket in the same query).
            sealed_loose = [catchup_entry_id(u, n) for u, span in sealing.items() for n in span]
            if self.rebuilding:
                sealed_loose = [i for i in sealed_loose if i in self.spilled]
                self.spilled.difference_update(sealed_loose)
            await delete_by_id(self.collection, sealed_loose)
            if not self.rebuilding:
                await replace_by_id(self.collection, [{"_id": CATCHUP_THROUGH, "position": through}])
        except BaseException:
            for user in users:  # what is stored is not known: count again from the view next time
                self.counts.pop(user, None)
                self.sealed.pop(user, None)
                self.unsealed.pop(user, None)
            raise
        self.counts.update(counts)
        self.sealed.update(sealed)
        self.through = through
        self._hold_unsealed(docs, sealed)
        if self.rebuilding and sum(map(len, self.unsealed.values())) > _REBUILD_HELD_MAX:
            await self._write_held()

    async def _write_held(self) -> None:
        """A rebuild writes the entries it holds as loose entries (read back, then deleted, when sealed)."""
        held = [doc for docs in self.unsealed.values() for doc in docs if doc["_id"] not in self.spilled]
        held.sort(key=lambda doc: (doc["user"], doc["number"]))
        for start in range(0, len(held), _INSERT_CHUNK):
            await self.collection.insert_many(held[start : start + _INSERT_CHUNK], ordered=True)
        self.spilled.update(doc["_id"] for doc in held)
        self.unsealed.clear()

    def _hold_unsealed(self, written: list[dict[str, Any]], sealed: dict[str, int]) -> None:
        if len(self.unsealed) > _UNSEALED_USERS_MAX and not self.rebuilding:
            self.unsealed.clear()  # read back from the view when their bucket is complete
        for user in sealed:
            self.unsealed[user] = [doc for doc in self.unsealed.get(user, ()) if doc["number"] >= sealed[user]]
        for doc in written:
            if doc["number"] >= sealed[doc["user"]]:
                self.unsealed[doc["user"]].append(doc)

    async def _seal(self, numbers: dict[str, range], written: list[dict[str, Any]]) -> dict[str, int]:
        """Write the buckets of these users' entries (whole buckets): from the entries just written, and the ones
        written before read back by ``_id``. A bucket already there (sealed before a crash) is left as it is.
        Returns the position of each user's last entry sealed."""
        by_id = {doc["_id"]: doc for doc in written}
        wanted = [catchup_entry_id(user, n) for user, span in numbers.items() for n in span]
        missing = [entry_id for entry_id in wanted if entry_id not in by_id]
        for start in range(0, len(missing), _INSERT_CHUNK):
            by_id |= await find_by_id(self.collection, missing[start : start + _INSERT_CHUNK])
        buckets = []
        for user, span in numbers.items():
            for first in range(span.start, span.stop, CATCHUP_BUCKET):
                entries = [by_id[catchup_entry_id(user, n)] for n in range(first, first + CATCHUP_BUCKET)]
                buckets.append(
                    {
                        "_id": catchup_bucket_id(user, first // CATCHUP_BUCKET),
                        "user": user,
                        # One string for the whole run, parsed once by the reader.
                        "entries": orjson.dumps([_unpacked_entry(entry) for entry in entries]).decode(),
                    }
                )
        for start in range(0, len(buckets), _INSERT_CHUNK):
            await insert_new(self.collection, buckets[start : start + _INSERT_CHUNK])
        return {user: int(by_id[catchup_entry_id(user, span.stop - 1)]["position"]) for user, span in numbers.items()}


def _unpacked_entry(doc: dict[str, Any]) -> dict[str, Any]:
    """An entry as a bucket holds it: its position and its message or receipt."""
    return {key: int(value) if key == "position" else unpacked(value) for key, value in doc.items() if key in _ENTRY}


_ENTRY = ("position", "message", "read")

"""The ``catchup`` read model: per user, the messages and receipts concerning them, by log position.

A reconnecting client asks for everything after the last position it applied. Entries are grouped per user and
window of ``CATCHUP_WINDOW`` log positions (``<user>|<window>``, ordered by position within), and a per-user
document lists the windows that hold anything, so a catch-up reads the list and then only the windows it needs:
bounded by what it returns, whatever the size of the log.

The query API reads the log itself past ``~through``, the position up to which every event has been applied here.
So events are applied strictly in position order: when the bus hands over an event past a gap (two appends
published out of order), the missing positions are read from the log by ``_id`` and applied first.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from projector.bulk import ViewDocuments
from shared.conversations import catchup_entry
from shared.events import Envelope
from shared.views import CATCHUP, CATCHUP_THROUGH, ViewCatalog, catchup_window, catchup_window_id

log = logging.getLogger(__name__)

ReadPositions = Callable[[Iterable[int]], Awaitable[list[Envelope]]]
# Positions read from the log at once while filling a gap.
_GAP_CHUNK = 500


class CatchupProjection:
    name = "catchup"
    models: tuple[str, ...] = (CATCHUP,)

    def __init__(self, views: ViewCatalog) -> None:
        self.docs = ViewDocuments(views[CATCHUP], limit=2_000)
        self.read_positions: ReadPositions | None = views.read_positions
        self.through: int | None = None  # loaded on first use

    async def ensure_indexes(self) -> None:
        """Read by ``_id`` only."""

    def begin_rebuild(self) -> None:
        self.docs.begin_rebuild()
        self.through = 0

    async def flush(self) -> None:
        await self.docs.flush()

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
        entries: dict[str, list[dict[str, Any]]] = {}
        for event in events:
            concerned = catchup_entry(event)
            if concerned is None:
                continue
            users, entry = concerned
            for user in dict.fromkeys(users):
                entries.setdefault(catchup_window_id(user, catchup_window(event.position)), []).append(entry)
        listings = {window_id.split("|", 1)[0] for window_id in entries}
        await self.docs.load([*entries, *listings, CATCHUP_THROUGH])
        changed: dict[str, dict[str, Any]] = {}
        for window_id, new in entries.items():
            user, window = window_id.split("|", 1)
            doc = self.docs.edit(window_id, changed, _empty_window(window_id, user, int(window)))
            known = {e["position"] for e in doc["entries"]}
            doc["entries"] += [e for e in new if e["position"] not in known]
            doc["entries"].sort(key=lambda e: e["position"])
            listing = self.docs.edit(user, changed, _empty_listing(user))
            if int(window) not in listing["windows"]:
                listing["windows"] = sorted([*listing["windows"], int(window)])
        through = self.docs.edit(CATCHUP_THROUGH, changed, _empty_through)
        through["position"] = max(through["position"], events[-1].position)
        await self.docs.write(changed)
        self.through = through["position"]
        if self.docs.rebuilding:
            # The log is read in order: a window the read has passed gets no more entries.
            done = catchup_window(events[-1].position)
            await self.docs.release([i for i, d in changed.items() if "window" in d and d["window"] < done])


def _empty_window(window_id: str, user: str, window: int) -> Callable[[], dict[str, Any]]:
    return lambda: {"_id": window_id, "user": user, "window": window, "entries": []}


def _empty_listing(user: str) -> Callable[[], dict[str, Any]]:
    return lambda: {"_id": user, "windows": []}


def _empty_through() -> dict[str, Any]:
    return {"_id": CATCHUP_THROUGH, "position": 0}

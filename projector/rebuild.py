"""Rebuilding read models from the event log, beside the live ones.

A ``Rebuild`` runs the chosen projections over the log into new collections (``<model>__r<stamp>``) that nobody
reads yet: one read of the log feeds every projection, each keeps its documents in memory and writes them once
at the end. ``replay`` then switches the new collections in and ``verify`` compares them with the live ones; both
hold the live consumers of those projections for the short final step, through ``ProjectorControl``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from projector.consumer import CHECKPOINTS, Projection
from projector.control import ControlClient
from projector.registry import PROJECTIONS
from projector.sources import EventSource, LogSource
from shared.event_reader import EventReader
from shared.events import Envelope
from shared.views import CATALOG_REFRESH_SECONDS, MEDIA, META_PREFIX, ViewCatalog

log = logging.getLogger(__name__)

BATCH = 2000
SHADOW_MARK = "__r"


def shadow_name(model: str, stamp: str) -> str:
    return f"{model}{SHADOW_MARK}{stamp}"


@dataclass
class Timings:
    """Where a rebuild's time went (seconds): waiting for the log, applying events, writing the views."""

    read: float = 0.0
    apply: float = 0.0
    write: float = 0.0
    events: int = 0
    started: float = field(default_factory=time.perf_counter)
    finished: float | None = None

    def stop(self) -> None:
        self.finished = time.perf_counter()

    @property
    def elapsed(self) -> float:
        return (self.finished or time.perf_counter()) - self.started


class Rebuild:
    """The chosen projections, writing into new collections, fed from the log up to a position."""

    def __init__(
        self,
        store: EventReader,
        views: AsyncDatabase[dict[str, Any]],
        names: list[str],
        source: EventSource | None = None,
    ) -> None:
        self.store = store
        self.views = views
        self.source = source or LogSource(store)
        stamp = time.strftime("%Y%m%d%H%M%S") + f"{time.time_ns() % 1_000_000:06d}"
        makers = {name: PROJECTIONS[name] for name in names}
        models = [model for make in makers.values() for model in _models(make)]
        self.targets = {model: shadow_name(model, stamp) for model in models}
        catalog = ViewCatalog(views, names=self.targets)
        self.projections: dict[str, Projection] = {name: make(catalog) for name, make in makers.items()}
        # How far each projection has been fed (they may stop at different positions, see ``feed``).
        self.positions = dict.fromkeys(names, 0)
        self.timings = Timings()

    async def start(self) -> None:
        """Start from empty collections (a crashed run's leftovers of the same name are dropped)."""
        for collection in self.targets.values():
            await self.views.drop_collection(collection)
        for projection in self.projections.values():
            projection.begin_rebuild()
            await projection.ensure_indexes()

    async def feed(
        self,
        until: int | None = None,
        *,
        limits: dict[str, int] | None = None,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> int:
        """Apply the log's events after where this rebuild stands, up to ``until`` (each projection at most up to
        its own limit in ``limits``); returns the last position read. The read runs ahead of the projections in a
        task of its own, so reading and applying overlap."""
        start = min(self.positions.values())
        queue: asyncio.Queue[list[Envelope] | None] = asyncio.Queue(maxsize=4)

        async def read() -> None:
            batch: list[Envelope] = []
            waited = time.perf_counter()
            async for event in self.source.events(start, until):
                batch.append(event)
                if len(batch) >= BATCH:
                    self.timings.read += time.perf_counter() - waited
                    await queue.put(batch)
                    batch, waited = [], time.perf_counter()
            self.timings.read += time.perf_counter() - waited
            if batch:
                await queue.put(batch)
            await queue.put(None)

        reader = asyncio.create_task(read(), name="rebuild-read")
        last = start
        try:
            while (batch := await queue.get()) is not None:
                began = time.perf_counter()
                for name, projection in self.projections.items():
                    limit = (limits or {}).get(name)
                    mine = [
                        e for e in batch if e.position > self.positions[name] and (limit is None or e.position <= limit)
                    ]
                    if mine:
                        await projection.apply_batch(mine)
                        self.positions[name] = mine[-1].position
                self.timings.apply += time.perf_counter() - began
                self.timings.events += len(batch)
                last = batch[-1].position
                if on_progress is not None:
                    on_progress(len(batch), last)
            await reader
        finally:
            reader.cancel()
        return last

    async def flush(self) -> None:
        """Write what the projections kept in memory; from then on they write as they apply (live mode)."""
        began = time.perf_counter()
        for projection in self.projections.values():
            await projection.flush()
        self.timings.write += time.perf_counter() - began

    async def discard(self) -> None:
        for collection in self.targets.values():
            await self.views.drop_collection(collection)


def _models(make: Callable[[ViewCatalog], Projection]) -> tuple[str, ...]:
    models: tuple[str, ...] = make.models  # type: ignore[attr-defined]
    return models


async def set_rebuilt_through(views: AsyncDatabase[dict[str, Any]], names: list[str], position: int) -> None:
    """Record that these projections' views hold every event up to ``position``: their consumers skip those."""
    for name in names:
        await views[CHECKPOINTS].update_one(
            {"_id": name}, {"$max": {"position": position, "rebuilt_through": position}}, upsert=True
        )


async def checkpoints(views: AsyncDatabase[dict[str, Any]]) -> dict[str, int]:
    return {doc["_id"]: int(doc.get("position", 0)) async for doc in views[CHECKPOINTS].find()}


# -- replay: rebuild beside the live views, then switch ----------------------------------------------------------

ProgressCallback = Callable[[int, int], None]


@dataclass
class ReplayReport:
    projections: list[str]
    # The log position the new views hold; the live consumers carry on after it.
    position: int
    # model -> (collection replaced, collection now serving it)
    switched: dict[str, tuple[str, str]]
    timings: Timings
    # Whether a running projector was held for the switch (False: none answered, nothing to hold).
    held: bool


class LeaseExpired(RuntimeError):
    """The projector resumed on its own before the switch: events it applied meanwhile may be missing."""


async def replay(
    store: EventReader,
    views: AsyncDatabase[dict[str, Any]],
    control: ControlClient | None,
    names: list[str],
    *,
    lease: float = 120.0,
    on_progress: ProgressCallback | None = None,
    drop_after: float = 3 * CATALOG_REFRESH_SECONDS,
    source: EventSource | None = None,
) -> ReplayReport:
    """Rebuild ``names`` from the log and switch them in while the system runs.

    1. Build new collections from the whole log (the live consumers carry on meanwhile).
    2. Hold those consumers (their batch in hand is finished), read the rest of the log into the new views.
    3. Switch the view catalog (one write per model), record the position the new views hold, and resume the
       consumers on the new collections: they skip events up to that position (already applied by the replay)
       and apply everything after it, so nothing is lost or applied twice.
    4. After readers have followed the switch, drop the old collections.
    """
    rebuild = Rebuild(store, views, names, source)
    await rebuild.start()
    held: dict[str, int] | None = None
    try:
        position = await rebuild.feed(on_progress=on_progress)
        await rebuild.flush()
        held = await control.pause(names, lease) if control is not None else None
        if await store.at(position + 1) is not None:  # positions have no gaps: anything new starts there
            position = await rebuild.feed(on_progress=on_progress)
        catalog = ViewCatalog(views)
        await catalog.refresh()
        switched = {model: (catalog.name(model), target) for model, target in rebuild.targets.items()}
        for model, target in rebuild.targets.items():
            await catalog.switch(model, target)
        await set_rebuilt_through(views, names, position)
        rebuild.timings.stop()
    except BaseException:
        if held is not None and control is not None:
            await control.resume(names, switched=False)
        await rebuild.discard()
        raise
    if held is not None and control is not None:
        resumed = await control.resume(names, switched=True, skip_through=position)
        if resumed is not None and not all(resumed.values()):
            raise LeaseExpired(
                "the projector's pause ran out before the switch; run the replay again (with a longer --lease)"
            )
    await asyncio.sleep(drop_after)
    for old, new in switched.values():
        if old != new:
            await views.drop_collection(old)
    return ReplayReport(names, position, switched, rebuild.timings, held is not None)


# -- verify: rebuild beside the live views and compare ------------------------------------------------------------


@dataclass
class Difference:
    model: str
    live: int
    rebuilt: int
    missing: list[str]  # ids the rebuilt view has and the live one lacks
    unexpected: list[str]  # ids only the live view has
    changed_count: int
    changed: list[tuple[str, dict[str, tuple[Any, Any]]]]  # the first few: id, field -> (live, rebuilt)

    @property
    def equal(self) -> bool:
        return not (self.missing or self.unexpected or self.changed_count)


@dataclass
class VerifyReport:
    projections: list[str]
    positions: dict[str, int]
    differences: list[Difference]
    timings: Timings
    # The log's head when verify began, and how far behind it each consumer still was after waiting for it.
    head: int = 0
    behind: dict[str, int] = field(default_factory=dict)

    @property
    def equal(self) -> bool:
        return all(d.equal for d in self.differences)

    @property
    def caught_up(self) -> bool:
        return not any(self.behind.values())

    @property
    def ok(self) -> bool:
        return self.equal and self.caught_up


async def wait_for_consumers(
    views: AsyncDatabase[dict[str, Any]], names: list[str], head: int, settle: float
) -> dict[str, int]:
    """How far behind ``head`` each consumer's checkpoint is, once all reach it or ``settle`` seconds have passed.

    A view compared at its own checkpoint says nothing of events its consumer never applied: a consumer frozen
    a thousand events back would verify as equal. Every consumer sees every event, so a working one reaches the
    head the log had when verify began, even under traffic."""
    deadline = time.monotonic() + settle
    while True:
        marks = await checkpoints(views)
        behind = {n: max(0, head - marks.get(n, 0)) for n in names}
        if not any(behind.values()) or time.monotonic() >= deadline:
            return behind
        await asyncio.sleep(0.25)


async def verify(
    store: EventReader,
    views: AsyncDatabase[dict[str, Any]],
    control: ControlClient | None,
    names: list[str],
    *,
    lease: float = 300.0,
    settle: float = 30.0,
    on_progress: ProgressCallback | None = None,
) -> VerifyReport:
    """Check that every consumer reaches the log's head, then rebuild ``names`` into new collections and compare
    each with its live view at the same position.

    The live consumers are held while the rebuild catches up to each one's checkpoint and the views are compared,
    so both sides hold exactly the same events; then the new collections are dropped and the consumers resumed.
    """
    head = await store.last_position()
    behind = await wait_for_consumers(views, names, head, settle)
    rebuild = Rebuild(store, views, names)
    await rebuild.start()
    held: dict[str, int] | None = None
    try:
        marks = await checkpoints(views)
        await rebuild.feed(min(marks.get(n, 0) for n in names), on_progress=on_progress)
        await rebuild.flush()
        held = await control.pause(names, lease) if control is not None else None
        if held is None:
            marks = await checkpoints(views)
            held_at = {n: marks.get(n, 0) for n in names}
        else:
            held_at = {n: held.get(n, 0) for n in names}
        await rebuild.feed(max(held_at.values()), limits=held_at, on_progress=on_progress)
        catalog = ViewCatalog(views)
        await catalog.refresh()
        differences = [
            await compare(model, views[catalog.name(model)], views[target]) for model, target in rebuild.targets.items()
        ]
    finally:
        if held is not None and control is not None:
            await control.resume(names, switched=False)
        await rebuild.discard()
    return VerifyReport(names, held_at, differences, rebuild.timings, head, behind)


# Fields that are sets, stored as lists: compared whatever their order (a media document's viewers, which a view
# built before they were kept sorted holds in the order the messages arrived).
_UNORDERED: dict[str, tuple[str, ...]] = {MEDIA: ("viewers",)}


def _canonical(model: str, doc: dict[str, Any]) -> dict[str, Any]:
    fields = _UNORDERED.get(model, ())
    return {k: sorted(v) if k in fields and isinstance(v, list) else v for k, v in doc.items()}


async def compare(
    model: str,
    live: AsyncCollection[dict[str, Any]],
    rebuilt: AsyncCollection[dict[str, Any]],
    *,
    examples: int = 10,
) -> Difference:
    # Bookkeeping documents (how far a view got) are not content: the two sides may hold them at other positions.
    ours = {
        doc["_id"]: _canonical(model, doc) async for doc in live.find() if not str(doc["_id"]).startswith(META_PREFIX)
    }
    theirs = {
        doc["_id"]: _canonical(model, doc)
        async for doc in rebuilt.find()
        if not str(doc["_id"]).startswith(META_PREFIX)
    }
    changed = []
    for doc_id in sorted(ours.keys() & theirs.keys()):
        a, b = ours[doc_id], theirs[doc_id]
        if a != b:
            fields = {k: (a.get(k), b.get(k)) for k in sorted(a.keys() | b.keys()) if a.get(k) != b.get(k)}
            changed.append((str(doc_id), fields))
    return Difference(
        model=model,
        live=len(ours),
        rebuilt=len(theirs),
        missing=sorted(str(i) for i in theirs.keys() - ours.keys()),
        unexpected=sorted(str(i) for i in ours.keys() - theirs.keys()),
        changed_count=len(changed),
        changed=changed[:examples],
    )

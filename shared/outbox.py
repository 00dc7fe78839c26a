"""The outbox relay: every appended event reaches the bus, in position order, even across a NATS outage.

The log is its own outbox. A mark in the log's ``meta`` collection says through which position every event has been
published; the events past it are the ones waiting. So an append writes nothing for the relay: an outbox entry
per append (an insert before the event, a delete after its publish) had been a third of the database's work on a
send, and one of its three round trips.

After an append the command side hands the event to ``Outbox.publish`` and answers: the event is in the log past
the mark, so it gets published whatever happens, and no answer waits for the bus. While the bus works, one task
publishes the handed events at once (those handed together are sent together, in order, and their acks awaited
together) and remembers their positions. A relay pass, every second or when woken, walks the log from the mark by
``_id`` (positions are gapless): positions this process saw acknowledged need no read; any other event (appended by
another process, or left behind by a crashed one) is published once a pass has seen it wait ``sweep_grace`` for
its own writer. The mark then moves past what is published, never past an event that is not. When a publish
fails, the outbox switches to catch-up mode: new events are left to the relay, which publishes every event past
the mark in position order until none is left. Duplicates are harmless: ``Nats-Msg-Id`` dedupes and consumers are
idempotent. With several command API processes, each also publishes the others' events after the grace (deduped
by JetStream): the cost of needing no per-append write.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import timedelta

from shared.bus import PUBLISH_TIMEOUT_SECONDS, Bus, BusUnavailable
from shared.event_store import EventStore
from shared.events import Envelope
from shared.waiting import stop_tasks, woken

log = logging.getLogger(__name__)

# Positions a relay pass reads by _id at once.
RELAY_CHUNK = 100


class Outbox:
    def __init__(
        self,
        store: EventStore,
        bus: Bus,
        *,
        sweep_interval: float = 1.0,
        sweep_grace: timedelta = timedelta(seconds=5),
    ) -> None:
        self.store = store
        self.bus = bus
        self.sweep_interval = sweep_interval
        self.sweep_grace = sweep_grace.total_seconds()
        self.catching_up = True  # until the first pass proves nothing is waiting
        # Every event through this position is published (the stored mark, or ahead of it until the next save).
        self.mark = 0
        self._saved_mark = 0
        # Positions past the mark that this process saw acknowledged by the bus.
        self._acked: set[int] = set()
        # Positions past the mark not acknowledged here: when a pass first found them (monotonic seconds).
        self._seen: dict[int, float] = {}
        self._wake = asyncio.Event()
        # Events handed over by commands, waiting for the live publisher.
        self._live: list[Envelope] = []
        self._live_wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        bus.on_ready.append(self._on_bus_ready)

    async def start(self) -> None:
        """Load the published mark (set on a log that has none) and start relaying. Before this process appends
        anything: an event it appends must be past the mark it starts from."""
        self.mark = self._saved_mark = await self.store.open_published_mark()
        self._wake.set()
        self._tasks = [
            asyncio.create_task(self._relay_loop(), name="outbox-relay"),
            asyncio.create_task(self._live_loop(), name="outbox-live"),
        ]

    async def stop(self) -> None:
        await stop_tasks(self._tasks)
        if self._live and not self.catching_up:
            # What was handed over last, if the bus takes it now; otherwise the next start publishes it.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(PUBLISH_TIMEOUT_SECONDS):
                    await self._publish_live()
        self._advance_over_acked()
        with contextlib.suppress(Exception):  # the database is away: the next start publishes these again
            await self._save_mark()

    def publish(self, event: Envelope) -> None:
        """Hand over a freshly appended event for publishing, or leave it to the relay; returns at once."""
        if self.catching_up:
            self._wake.set()
            return
        self._live.append(event)
        self._live_wake.set()

    async def _live_loop(self) -> None:
        while True:
            await self._live_wake.wait()
            self._live_wake.clear()
            while self._live and not self.catching_up:
                await self._publish_live()

    async def _publish_live(self) -> None:
        # Sent in order on the one connection, so JetStream stores them in that order; the acks come together.
        batch, self._live = self._live, []
        results = await asyncio.gather(*(self.bus.publish(event) for event in batch), return_exceptions=True)
        failed: BaseException | None = None
        for event, result in zip(batch, results, strict=True):
            if result is None:
                self._acked.add(event.position)
            else:
                # The bus, or anything unforeseen: this task must live on, and the relay finds every event.
                failed = result
        if failed is not None and not self.catching_up:
            # The rest is left to the relay: it publishes every event past the mark in position order.
            log.warning("publish failed, outbox catching up", extra={"error": repr(failed)})
            self.catching_up = True
            self._live = []
            self._wake.set()

    async def _on_bus_ready(self) -> None:
        self._wake.set()

    async def _relay_loop(self) -> None:
        while True:
            everything = await woken(self._wake, self.sweep_interval)
            self._wake.clear()
            try:
                await self.drain(everything=everything)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox relay pass failed; retrying")

    async def drain(self, *, everything: bool = True) -> int:
        """Publish the waiting events in position order and move the mark past them. Returns how many were
        published.

        When woken (start, catch-up mode, bus back) every waiting event is taken; a periodic pass takes only
        events that have waited the grace for the process that appended them.
        """
        take_all = everything or self.catching_up
        self.mark = max(self.mark, await self.store.published_mark())
        published = 0
        try:
            while True:
                self._advance_over_acked()
                start = self.mark + 1
                wanted = [p for p in range(start, start + RELAY_CHUNK) if p not in self._acked]
                found = {event.position: event for event in await self.store.at_positions(wanted)}
                clock = time.monotonic()
                for position in range(start, start + RELAY_CHUNK):
                    if position in self._acked:
                        self.mark = position
                        continue
                    event = found.get(position)
                    if event is None:
                        break  # the head of the log (or an append still in flight there)
                    if not take_all and clock - self._seen.setdefault(position, clock) < self.sweep_grace:
                        break  # its own writer may still be publishing it
                    try:
                        await self.bus.publish(event)
                    except BusUnavailable:
                        self.catching_up = True
                        return published
                    published += 1
                    self.mark = position
                else:
                    continue  # the whole chunk is published: read on
                break
        finally:
            await self._save_mark()
            if published:
                log.info("outbox relayed events", extra={"count": published, "through": self.mark})
        if self.catching_up and self.bus.ready:
            self.catching_up = False
            log.info("outbox live")
        return published

    def _advance_over_acked(self) -> None:
        while self.mark + 1 in self._acked:
            self.mark += 1

    async def _save_mark(self) -> None:
        self._acked = {p for p in self._acked if p > self.mark}
        self._seen = {p: t for p, t in self._seen.items() if p > self.mark}
        if self.mark > self._saved_mark:
            await self.store.mark_published(self.mark)
            self._saved_mark = self.mark

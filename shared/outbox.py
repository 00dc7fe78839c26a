"""The outbox relay: every appended event reaches the bus, in position order, even across a NATS outage.

The store writes an outbox entry (in the small ``outbox`` collection) before each event. After the append, the
command side hands the event to ``Outbox.publish`` and answers: the event is in the log, and its entry gets it
published whatever happens, so no answer waits for the bus. While the bus works and nothing is waiting, one task
publishes the handed events at once (those handed together are sent together, in order, and their acks awaited
together), and their entries are deleted in the background. When a publish fails, the outbox switches to catch-up
mode: new events are left to a single relay loop that publishes every waiting entry's event in position order until
none is left. The same loop, every few seconds, picks up entries a crashed process left behind. Duplicates are
harmless: ``Nats-Msg-Id`` dedupes and consumers are idempotent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from shared.bus import PUBLISH_TIMEOUT_SECONDS, Bus, BusUnavailable
from shared.event_store import EventStore, outbox_entry_id
from shared.events import Envelope, now
from shared.waiting import stop_tasks, woken

log = logging.getLogger(__name__)

# How often published entries are deleted (a crash meanwhile only means they are published again, and deduped).
CLEANUP_SECONDS = 0.25


class Outbox:
    def __init__(
        self,
        store: EventStore,
        bus: Bus,
        *,
        sweep_interval: float = 2.0,
        sweep_grace: timedelta = timedelta(seconds=5),
    ) -> None:
        self.store = store
        self.bus = bus
        self.sweep_interval = sweep_interval
        self.sweep_grace = sweep_grace
        self.catching_up = True  # until the first pass proves nothing is waiting
        self._done: list[str] = []
        self._head = 0
        self._wake = asyncio.Event()
        self._done_wake = asyncio.Event()
        # Events handed over by commands, waiting for the live publisher.
        self._live: list[Envelope] = []
        self._live_wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        bus.on_ready.append(self._on_bus_ready)

    def start(self) -> None:
        self._wake.set()
        self._tasks = [
            asyncio.create_task(self._relay_loop(), name="outbox-relay"),
            asyncio.create_task(self._cleanup_loop(), name="outbox-cleanup"),
            asyncio.create_task(self._live_loop(), name="outbox-live"),
        ]

    async def stop(self) -> None:
        await stop_tasks(self._tasks)
        if self._live and not self.catching_up:
            # What was handed over last, if the bus takes it now; otherwise the next start publishes it.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(PUBLISH_TIMEOUT_SECONDS):
                    await self._publish_live()
        await self._flush_done()

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
                self._published(event)
            else:
                # The bus, or anything unforeseen: this task must live on, and the relay has every entry.
                failed = result
        if failed is not None and not self.catching_up:
            # The rest is left to the relay: their entries are there, and it publishes them in position order.
            log.warning("publish failed, outbox catching up", extra={"error": repr(failed)})
            self.catching_up = True
            self._live = []
            self._wake.set()

    def _published(self, event: Envelope) -> None:
        self._done.append(outbox_entry_id(event.position, event.id))
        self._head = max(self._head, event.position)
        self._done_wake.set()

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
        """Publish the events of waiting entries in order. Returns how many were published.

        When woken (catch-up mode, bus back) every entry is ours; a periodic sweep only takes entries old enough
        that no request handler is still publishing them.
        """
        take_all = everything or self.catching_up
        cutoff = now() - self.sweep_grace
        entries = [
            entry async for entry in self.store.outbox.find({}).sort("_id", 1) if take_all or entry["at"] < cutoff
        ]
        entries = [e for e in entries if e["_id"] not in self._done]
        published = 0
        if entries:
            waiting = {int(e["position"]) for e in entries}
            # Read by _id, one position at a time: a range of positions would read the whole log on FerretDB.
            found = {event.position: event for event in await self.store.at_positions(waiting)}
            entry_ids = {e["_id"] for e in entries}
            for position in sorted(waiting):
                event = found.get(position)
                if event is None or outbox_entry_id(position, event.id) not in entry_ids:
                    continue  # its insert is still in flight, or lost (dropped below once stale)
                try:
                    await self.bus.publish(event)
                except BusUnavailable:
                    self.catching_up = True
                    return published
                published += 1
                self._published(event)
            published_ids = {outbox_entry_id(p, ev.id) for p, ev in found.items()}
            stale = [e["_id"] for e in entries if e["_id"] not in published_ids and e["at"] < cutoff]
            if stale:
                await self.store.clear_outbox(stale)
            log.info("outbox relayed events", extra={"count": published})
        if self.catching_up and self.bus.ready:
            self.catching_up = False
            log.info("outbox live")
        return published

    async def _cleanup_loop(self) -> None:
        while True:
            await self._done_wake.wait()
            self._done_wake.clear()
            # One delete for many publishes: each scans the outbox on FerretDB and holds this process's writes back.
            await asyncio.sleep(CLEANUP_SECONDS)
            try:
                await self._flush_done()
            except asyncio.CancelledError:
                raise
            except Exception:
                # Entries left behind are only published again (and deduped); nothing is lost.
                log.exception("could not clear outbox entries")

    async def _flush_done(self) -> None:
        done, self._done = self._done, []
        if done:
            await self.store.clear_outbox(done)
            await self.store.remember_head(self._head)

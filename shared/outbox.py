"""The outbox relay: every appended event reaches the bus, in position order, even across a NATS outage.

The store writes an outbox entry (in the small ``outbox`` collection) before each event. After the append, the
command side hands the event to ``Outbox.publish``: while the bus works and nothing is waiting, the event is
published at once and its entry deleted in the background. When a publish fails, the outbox switches to catch-up
mode: new events are left to a single relay loop that publishes every waiting entry's event in position order until
none is left. The same loop, every few seconds, picks up entries a crashed process left behind. Duplicates are
harmless: ``Nats-Msg-Id`` dedupes and consumers are idempotent.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from shared.bus import Bus, BusUnavailable
from shared.event_store import EventStore, outbox_entry_id
from shared.events import Envelope, now
from shared.waiting import woken

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
        self._tasks: list[asyncio.Task[None]] = []
        bus.on_ready.append(self._on_bus_ready)

    def start(self) -> None:
        self._wake.set()
        self._tasks = [
            asyncio.create_task(self._relay_loop(), name="outbox-relay"),
            asyncio.create_task(self._cleanup_loop(), name="outbox-cleanup"),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._flush_done()

    async def publish(self, event: Envelope) -> None:
        """Publish a freshly appended event, or leave it to the relay. Never raises for a bus failure."""
        if self.catching_up:
            self._wake.set()
            return
        try:
            await self.bus.publish(event)
        except BusUnavailable as exc:
            log.warning("publish failed, outbox catching up", extra={"event_id": event.id, "error": str(exc)})
            self.catching_up = True
            self._wake.set()
            return
        self._published(event)

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

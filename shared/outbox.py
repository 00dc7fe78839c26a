"""The outbox relay: every appended event reaches the bus, in position order, even across a NATS outage.

The command side appends first, then hands the event to ``Outbox.publish``. While the bus works and nothing is
waiting, the event is published at once (low latency) and marked in batches. When a publish fails, the outbox
switches to catch-up mode: new events are only queued, and a single loop publishes the unpublished events from the
store in position order until none are left. Events a crashed process appended but never published are picked up
by the periodic sweep. Duplicates are harmless: ``Nats-Msg-Id`` dedupes and consumers are idempotent.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from shared.bus import Bus, BusUnavailable
from shared.event_store import EventStore
from shared.events import Envelope, now

log = logging.getLogger(__name__)


class Outbox:
    def __init__(
        self,
        store: EventStore,
        bus: Bus,
        *,
        sweep_interval: float = 2.0,
        sweep_grace: timedelta = timedelta(seconds=5),
        batch_size: int = 500,
    ) -> None:
        self.store = store
        self.bus = bus
        self.sweep_interval = sweep_interval
        self.sweep_grace = sweep_grace
        self.batch_size = batch_size
        self.catching_up = True  # until the first sweep proves nothing is waiting
        self._wake = asyncio.Event()
        self._published: list[str] = []
        self._mark_wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        bus.on_ready.append(self._on_bus_ready)

    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._relay_loop(), name="outbox-relay"),
            asyncio.create_task(self._mark_loop(), name="outbox-mark"),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._flush_marks()

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
        self._published.append(event.id)
        self._mark_wake.set()

    async def _on_bus_ready(self) -> None:
        self._wake.set()

    async def _relay_loop(self) -> None:
        while True:
            woken = True
            try:
                await asyncio.wait_for(self._wake.wait(), self.sweep_interval)
            except TimeoutError:
                woken = False
            self._wake.clear()
            try:
                await self.drain(everything=woken)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox relay pass failed; retrying")

    async def drain(self, *, everything: bool = True) -> int:
        """Publish waiting events in order. Returns how many were published.

        When woken (catch-up mode, bus back) everything waiting is ours; a periodic sweep takes only events old
        enough that no request handler is still publishing them (a crashed process's leftovers).
        """
        total = 0
        while True:
            older_than = None if everything or self.catching_up else now() - self.sweep_grace
            batch = await self.store.unpublished(limit=self.batch_size, older_than=older_than)
            if not batch:
                if self.catching_up and self.bus.ready:
                    self.catching_up = False
                return total
            published: list[str] = []
            bus_failed = False
            for event in batch:
                try:
                    await self.bus.publish(event)
                except BusUnavailable:
                    bus_failed = True
                    break
                published.append(event.id)
            await self.store.mark_published(published, now())
            total += len(published)
            if published:
                log.info("outbox relayed events", extra={"count": len(published)})
            if bus_failed:
                self.catching_up = True
                return total

    async def _mark_loop(self) -> None:
        while True:
            await self._mark_wake.wait()
            self._mark_wake.clear()
            await asyncio.sleep(0.05)  # gather marks into one update
            try:
                await self._flush_marks()
            except asyncio.CancelledError:
                raise
            except Exception:
                # Unmarked events are only published again (and deduped); nothing is lost.
                log.exception("could not mark events published")

    async def _flush_marks(self) -> None:
        ids, self._published = self._published, []
        await self.store.mark_published(ids, now())

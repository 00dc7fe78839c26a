"""The outbox relay: every appended event reaches the bus, in position order, even across a NATS outage.

The command side appends first, then hands the event to ``Outbox.publish``. While the bus works and nothing is
waiting, the event is published at once (low latency) and marked ``published_at`` in the background. When a
publish fails, the outbox switches to catch-up mode: new events are left to a single relay loop that walks the log
by position from its cursor (everything before it is published) and publishes, in order, every event not yet
marked, until it reaches the head. The same walk, run every few seconds, picks up events a crashed process
appended but never published. Duplicates are harmless: ``Nats-Msg-Id`` dedupes and consumers are idempotent.
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
        batch_size: int = 256,
    ) -> None:
        self.store = store
        self.bus = bus
        self.sweep_interval = sweep_interval
        self.sweep_grace = sweep_grace
        self.batch_size = batch_size
        self.catching_up = True  # until the first walk proves nothing is waiting
        self.cursor: int | None = None  # every event up to here is published
        self._published_above: set[int] = set()  # published by this process, beyond the cursor
        self._to_mark: list[int] = []
        self._wake = asyncio.Event()
        self._mark_wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        bus.on_ready.append(self._on_bus_ready)

    def start(self) -> None:
        self._wake.set()
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
        self._published(event.position)

    def _published(self, position: int) -> None:
        self._to_mark.append(position)
        self._published_above.add(position)
        self._advance()
        self._mark_wake.set()

    def _advance(self) -> None:
        if self.cursor is None:
            return
        while self.cursor + 1 in self._published_above:
            self.cursor += 1
            self._published_above.discard(self.cursor)

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
        """Walk from the cursor and publish what is waiting, in order. Returns how many were published.

        When woken (catch-up mode, bus back) every unmarked event is ours; a periodic sweep only takes events old
        enough that no request handler is still publishing them.
        """
        if self.cursor is None:
            self.cursor = await self.store.outbox_cursor()
        published = 0
        while True:
            batch = await self.store.read_from(self.cursor, limit=self.batch_size)
            if not batch:
                if self.catching_up and self.bus.ready:
                    self.catching_up = False
                    log.info("outbox live", extra={"cursor": self.cursor})
                return published
            take_fresh = everything or self.catching_up
            for event in batch:
                if event.position in self._published_above or event.published:
                    self._published_above.add(event.position)
                    self._advance()
                    continue
                if not take_fresh and event.occurred_at > now() - self.sweep_grace:
                    return published  # a request handler is publishing it right now
                try:
                    await self.bus.publish(event)
                except BusUnavailable:
                    self.catching_up = True
                    return published
                published += 1
                self._published(event.position)
            if published:
                log.info("outbox relayed events", extra={"count": published, "cursor": self.cursor})

    async def _mark_loop(self) -> None:
        while True:
            await self._mark_wake.wait()
            self._mark_wake.clear()
            await asyncio.sleep(0.05)  # gather a few marks per write
            try:
                await self._flush_marks()
            except asyncio.CancelledError:
                raise
            except Exception:
                # Unmarked events are only published again (and deduped); nothing is lost.
                log.exception("could not mark events published")

    async def _flush_marks(self) -> None:
        positions, self._to_mark = self._to_mark, []
        if not positions:
            return
        await self.store.mark_published(positions, now())
        await self.store.remember_head(max(positions))
        if self.cursor is not None:
            await self.store.save_outbox_cursor(self.cursor)

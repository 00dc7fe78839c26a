"""Where a rebuild reads the events of the log from.

``LogSource`` reads the event store itself: the truth, and the default. ``BusSource`` reads the copy of the log
that JetStream holds (every appended event is published there by the outbox), which streams far faster than a
full read of the event collection on FerretDB; it is checked position by position against the log: positions
must run without a gap up to the log's head, and whatever the bus lacks (trimmed by a retention limit, or not
published yet) is read from the log.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import aclosing
from typing import Protocol

from nats.js import JetStreamContext, api

from shared.event_reader import EventReader, PositionOrder
from shared.events import Envelope

log = logging.getLogger(__name__)

FETCH = 2000
# Events held while waiting for one the bus may never deliver, before reading the gap from the log.
GAP_LIMIT = 10_000


class EventSource(Protocol):
    def events(self, after: int, until: int | None) -> AsyncIterator[Envelope]:
        """Every event after position ``after`` (up to ``until``), in position order, each once."""
        ...


class LogGap(RuntimeError):
    """An event the bus lacks is not in the log either: the log was damaged; a replay would be wrong."""

    def __init__(self, position: int) -> None:
        super().__init__(f"the event at position {position} is missing from the log")
        self.position = position


class LogSource:
    def __init__(self, store: EventReader, batch_size: int = 2000) -> None:
        self.store = store
        self.batch_size = batch_size

    def events(self, after: int, until: int | None) -> AsyncIterator[Envelope]:
        return self.store.scan(after_position=after, until_position=until, batch_size=self.batch_size)


class BusSource:
    def __init__(self, store: EventReader, js: JetStreamContext, stream: str, subjects: str) -> None:
        self.store = store
        self.js = js
        self.stream = stream
        self.subjects = subjects
        # The next stream sequence to read: a later call carries on where the previous one stopped.
        self._next_sequence = 1

    async def events(self, after: int, until: int | None) -> AsyncIterator[Envelope]:
        order: PositionOrder[Envelope] = PositionOrder(after, until)
        async with aclosing(self._read_bus()) as published:
            async for event in published:
                for ready in order.add(event.position, event):
                    yield ready
                if len(order.waiting) >= GAP_LIMIT:  # a gap the bus does not fill (trimmed): read it from the log
                    async for ready in self._fill_gap(order):
                        yield ready
                if order.done:
                    return
        while order.waiting and not order.done:
            async for ready in self._fill_gap(order):
                yield ready
        # The log may hold more than the bus (events not published yet): a cheap look for the next one first.
        if not order.done and await self.store.at(order.next) is not None:
            log.info("reading events the bus lacks from the log", extra={"from": order.next})
            async for from_log in self.store.scan(after_position=order.next - 1, until_position=until):
                yield from_log

    async def _fill_gap(self, order: PositionOrder[Envelope]) -> AsyncIterator[Envelope]:
        """Read from the log the events between the next one due and the first one waiting, then the ones waiting."""
        async for from_log in self._from_log(order.next, min(order.waiting) - 1):
            order.passed(from_log.position)
            yield from_log
        for ready in order.ready():
            yield ready

    async def _from_log(self, first: int, last: int) -> AsyncIterator[Envelope]:
        log.info("reading events the bus lacks from the log", extra={"from": first, "to": last})
        position = first - 1
        async for event in self.store.scan(after_position=first - 1, until_position=last):
            position = event.position
            yield event
        if position < last:
            raise LogGap(position + 1)

    async def _read_bus(self) -> AsyncGenerator[Envelope, None]:
        """Every message from ``_next_sequence`` to the stream's end as it is now: an ephemeral consumer, no acks."""
        config = api.ConsumerConfig(
            ack_policy=api.AckPolicy.NONE,
            deliver_policy=api.DeliverPolicy.BY_START_SEQUENCE,
            opt_start_seq=self._next_sequence,
            inactive_threshold=30.0,
            max_waiting=1,
        )
        subscription = await self.js.pull_subscribe(self.subjects, stream=self.stream, config=config)
        try:
            while True:
                try:
                    messages = await subscription.fetch(FETCH, timeout=2.0)
                except TimeoutError:
                    return
                for msg in messages:
                    yield Envelope.from_json(msg.data)
                # Parsed from the reply subject: once per batch, not per message. Moved on only once the whole batch
                # was taken: a caller that stops early reads the rest again next time (and skips what it had).
                last = messages[-1].metadata
                self._next_sequence = last.sequence.stream + 1
                if last.num_pending == 0:
                    return
        finally:
            await subscription.unsubscribe()

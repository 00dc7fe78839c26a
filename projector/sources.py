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

from shared.event_store import EventStore
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
    def __init__(self, store: EventStore, batch_size: int = 2000) -> None:
        self.store = store
        self.batch_size = batch_size

    def events(self, after: int, until: int | None) -> AsyncIterator[Envelope]:
        return self.store.scan(after_position=after, until_position=until, batch_size=self.batch_size)


class BusSource:
    def __init__(self, store: EventStore, js: JetStreamContext, stream: str, subjects: str) -> None:
        self.store = store
        self.js = js
        self.stream = stream
        self.subjects = subjects
        # The next stream sequence to read: a later call carries on where the previous one stopped.
        self._next_sequence = 1

    async def events(self, after: int, until: int | None) -> AsyncIterator[Envelope]:
        expected = after + 1
        early: dict[int, Envelope] = {}  # read from the bus before the position ahead of them

        def ready() -> list[Envelope]:
            nonlocal expected
            run = []
            while expected in early and (until is None or expected <= until):
                run.append(early.pop(expected))
                expected += 1
            return run

        async with aclosing(self._read_bus()) as published:
            async for event in published:
                if event.position < expected or event.position in early:
                    continue  # before the range, or published twice
                early[event.position] = event
                for ready_event in ready():
                    yield ready_event
                if len(early) >= GAP_LIMIT:  # a gap the bus does not fill (trimmed): read it from the log
                    async for from_log in self._from_log(expected, min(early) - 1):
                        expected = from_log.position + 1
                        yield from_log
                    for ready_event in ready():
                        yield ready_event
                if until is not None and expected > until:
                    return
        while early and (until is None or expected <= until):
            async for from_log in self._from_log(expected, min(early) - 1):
                expected = from_log.position + 1
                yield from_log
            for ready_event in ready():
                yield ready_event
            early = {p: e for p, e in early.items() if p >= expected}
        # The log may hold more than the bus (events not published yet): a cheap look for the next one first.
        if (until is None or expected <= until) and await self.store.at(expected) is not None:
            log.info("reading events the bus lacks from the log", extra={"from": expected})
            async for from_log in self.store.scan(after_position=expected - 1, until_position=until):
                yield from_log

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

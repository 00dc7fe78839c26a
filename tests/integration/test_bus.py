"""The bus and the outbox relay, against the real NATS JetStream and FerretDB."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

from shared.bus import Bus
from shared.event_store import EventStore
from shared.events import Envelope, NewEvent, PresenceChanged, now
from shared.outbox import Outbox
from tests.support import Infra, NatsServer, bus_settings, eventually, holds


async def stream_messages(bus: Bus) -> int:
    info = await bus.js.stream_info(bus.settings.nats_stream)
    return int(info.state.messages)


def event(user: str) -> NewEvent:
    return NewEvent(
        stream=f"presence:{user}", data=PresenceChanged(user_id=user, online=True, last_seen=now(), reason="connected")
    )


async def test_publish_is_deduplicated_by_event_id(infra: Infra, store: EventStore) -> None:
    bus = Bus(bus_settings(infra.nats.url), name="test")
    bus.start()
    await bus.wait_ready()
    try:
        stored = (await store.append(event("u1"), expected_version=0)).event
        await bus.publish(stored)
        await bus.publish(stored)
        assert await stream_messages(bus) == 1
        await bus.ensure_stream()  # provisioning twice is harmless
    finally:
        await bus.close()


async def test_outbox_publishes_in_order_after_an_outage(infra: Infra, store: EventStore) -> None:
    nats = NatsServer(infra.workdir)
    nats.start()
    bus = Bus(bus_settings(nats.url), name="test")
    bus.start()
    await bus.wait_ready()
    outbox = Outbox(store, bus, sweep_interval=0.2)
    await outbox.start()
    try:
        await eventually(lambda: holds(not outbox.catching_up), what="outbox live")
        nats.stop()
        await eventually(lambda: holds(not bus.ready), what="bus down")
        appended = []
        for i in range(5):
            stored = (await store.append(event(f"u{i}"), expected_version=0)).event
            outbox.publish(stored)  # must not raise while NATS is down
            appended.append(stored)
        assert await store.published_mark() < appended[0].position  # the mark never passes an unpublished event
        nats.start()  # same port, same data directory
        await eventually(lambda: holds(not outbox.catching_up), timeout=30, what="outbox caught up")
        await eventually(lambda: _published_through(store, appended[-1]), what="the mark past them")
        subscription = await bus.js.pull_subscribe(f"{bus.settings.subject_prefix}.>", stream=bus.settings.nats_stream)
        messages = await subscription.fetch(10, timeout=5)
        assert [m.headers["Nats-Msg-Id"] for m in messages if m.headers] == [e.id for e in appended]
    finally:
        await outbox.stop()
        await bus.close()
        nats.stop()
        nats.remove_data()


async def _published_through(store: EventStore, event: Envelope) -> bool:
    return await store.published_mark() >= event.position


async def test_the_outbox_stops_when_woken_as_it_is_stopped(infra: Infra, store: EventStore) -> None:
    """A send wakes the relay, then the service stops at once (the wake must not swallow the stop).

    Seen in CI: a command API started, answered one send and was stopped; its shutdown waited forever for the
    relay, whose ``wait_for`` returned the wake-up and dropped the cancellation (Python 3.11's ``wait_for``).
    """
    bus = Bus(bus_settings(infra.nats.url), name="test")  # never started: the relay only reads the outbox
    for yields in range(4):
        outbox = Outbox(store, bus, sweep_interval=0.5)
        await outbox.start()
        await asyncio.sleep(0.2)  # the first pass is done: the relay waits to be woken
        stored = (await store.append(event(f"w{yields}"), expected_version=0)).event
        outbox.publish(stored)  # the bus is not ready: the relay is woken
        for _ in range(yields):
            await asyncio.sleep(0)
        await asyncio.wait_for(outbox.stop(), 5)


class _FailsOnce(Bus):
    """A bus whose first publish fails for a reason nobody foresaw."""

    failed = False

    async def publish(self, event: Envelope) -> None:
        if not self.failed:
            self.failed = True
            raise RuntimeError("unforeseen")
        await super().publish(event)


@contextlib.asynccontextmanager
async def live_outbox(store: EventStore, bus: Bus, **options: Any) -> AsyncIterator[Outbox]:
    """A started bus and a started outbox, live (the first pass done), stopped at the end."""
    bus.start()
    await bus.wait_ready()
    outbox = Outbox(store, bus, **options)
    await outbox.start()
    try:
        await eventually(lambda: holds(not outbox.catching_up), what="outbox live")
        yield outbox
    finally:
        await outbox.stop()
        await bus.close()


async def test_an_unforeseen_publish_failure_leaves_the_event_to_the_relay(infra: Infra, store: EventStore) -> None:
    bus = _FailsOnce(bus_settings(infra.nats.url), name="test")
    # A long grace: the periodic pass takes nothing here, so what is published live is the live task's doing.
    async with live_outbox(store, bus, sweep_interval=0.2, sweep_grace=timedelta(seconds=120)) as outbox:
        first = (await store.append(event("f1"), expected_version=0)).event
        outbox.publish(first)  # fails: the relay takes over, from the mark
        await eventually(lambda: _published_through(store, first), what="published by the relay")
        await eventually(lambda: holds(not outbox.catching_up), what="outbox live again")
        second = (await store.append(event("f2"), expected_version=0)).event
        outbox.publish(second)  # the live publisher is still there
        await eventually(lambda: _published_through(store, second), what="published live")
        assert await stream_messages(bus) == 2


async def test_events_another_process_appended_are_published_after_the_grace(infra: Infra, store: EventStore) -> None:
    """The log is the outbox: an event this process never handed over (another process's, or one a crashed process
    left behind) is published by the relay once it has waited the grace, in order, and the mark moves past it."""
    bus = Bus(bus_settings(infra.nats.url), name="test")
    async with live_outbox(store, bus, sweep_interval=0.1, sweep_grace=timedelta(seconds=0.5)) as outbox:
        handed = (await store.append(event("mine"), expected_version=0)).event
        outbox.publish(handed)
        others = [(await store.append(event(f"other{i}"), expected_version=0)).event for i in range(3)]
        await eventually(lambda: _published_through(store, others[-1]), what="the others' events published")
        subscription = await bus.js.pull_subscribe(f"{bus.settings.subject_prefix}.>", stream=bus.settings.nats_stream)
        messages = await subscription.fetch(10, timeout=5)
        assert [m.headers["Nats-Msg-Id"] for m in messages if m.headers] == [e.id for e in [handed, *others]]
        assert "outbox" not in await store.db.list_collection_names()  # appends wrote nothing for the relay


async def test_a_start_publishes_what_a_crashed_process_left_past_the_mark(infra: Infra, store: EventStore) -> None:
    bus = Bus(bus_settings(infra.nats.url), name="test")
    bus.start()
    await bus.wait_ready()
    try:
        crashed = Outbox(store, bus, sweep_interval=60)
        await crashed.start()
        await crashed.stop()
        left = [(await store.append(event(f"left{i}"), expected_version=0)).event for i in range(3)]
        # A long grace: what the start publishes, it publishes because it is a start.
        restarted = Outbox(store, bus, sweep_interval=60, sweep_grace=timedelta(seconds=120))
        await restarted.start()
        await eventually(lambda: _published_through(store, left[-1]), what="published at the start")
        await restarted.stop()
        assert await stream_messages(bus) == 3
    finally:
        await bus.close()


async def test_entries_of_an_outbox_from_before_the_mark_are_taken_over(infra: Infra, store: EventStore) -> None:
    """An instance upgraded from the outbox of one entry per unpublished event: the mark goes back to the oldest
    waiting entry, its events are published, and the old collection is dropped."""
    appended = [(await store.append(event(f"old{i}"), expected_version=0)).event for i in range(4)]
    await store.mark_published(appended[-1].position)  # the old head hint: the newest event published
    await store.legacy_outbox.insert_one({"_id": "entry", "position": appended[1].position, "at": now()})
    bus = Bus(bus_settings(infra.nats.url), name="test")
    bus.start()
    await bus.wait_ready()
    outbox = Outbox(store, bus, sweep_interval=60)
    try:
        await outbox.start()
        assert "outbox" not in await store.db.list_collection_names()
        await eventually(lambda: _published_through(store, appended[-1]), what="the waiting events published")
        assert await stream_messages(bus) == 3  # from the oldest waiting entry on
    finally:
        await outbox.stop()
        await bus.close()

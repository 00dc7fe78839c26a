"""The bus and the outbox relay, against the real NATS JetStream and FerretDB."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from shared.bus import Bus
from shared.event_store import EventStore
from shared.events import Envelope, NewEvent, PresenceChanged, now
from shared.outbox import Outbox
from shared.settings import Settings
from tests.support import Infra, NatsServer, eventually, holds, unique


def settings_for(nats_url: str) -> Settings:
    name = unique("bus")
    return Settings(nats_url=nats_url, nats_stream=name.upper(), subject_prefix=f"{name}.events")


async def stream_messages(bus: Bus) -> int:
    info = await bus.js.stream_info(bus.settings.nats_stream)
    return int(info.state.messages)


def event(user: str) -> NewEvent:
    return NewEvent(
        stream=f"presence:{user}", data=PresenceChanged(user_id=user, online=True, last_seen=now(), reason="connected")
    )


async def test_publish_is_deduplicated_by_event_id(infra: Infra, store: EventStore) -> None:
    bus = Bus(settings_for(infra.nats.url), name="test")
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
    bus = Bus(settings_for(nats.url), name="test")
    bus.start()
    await bus.wait_ready()
    outbox = Outbox(store, bus, sweep_interval=0.2)
    outbox.start()
    try:
        await eventually(lambda: holds(not outbox.catching_up), what="outbox live")
        nats.stop()
        await eventually(lambda: holds(not bus.ready), what="bus down")
        appended = []
        for i in range(5):
            stored = (await store.append(event(f"u{i}"), expected_version=0)).event
            outbox.publish(stored)  # must not raise while NATS is down
            appended.append(stored)
        assert await store.outbox.count_documents({}) == 5
        nats.start()  # same port, same data directory
        await eventually(lambda: holds(not outbox.catching_up), timeout=30, what="outbox caught up")
        await eventually(lambda: _outbox_empty(store), what="outbox entries cleared")
        subscription = await bus.js.pull_subscribe(f"{bus.settings.subject_prefix}.>", stream=bus.settings.nats_stream)
        messages = await subscription.fetch(10, timeout=5)
        assert [m.headers["Nats-Msg-Id"] for m in messages if m.headers] == [e.id for e in appended]
    finally:
        await outbox.stop()
        await bus.close()
        nats.stop()
        nats.remove_data()


async def _outbox_empty(store: EventStore) -> bool:
    return await store.outbox.count_documents({}) == 0


async def test_the_outbox_stops_when_woken_as_it_is_stopped(infra: Infra, store: EventStore) -> None:
    """A send wakes the relay, then the service stops at once (the wake must not swallow the stop).

    Seen in CI: a command API started, answered one send and was stopped; its shutdown waited forever for the
    relay, whose ``wait_for`` returned the wake-up and dropped the cancellation (Python 3.11's ``wait_for``).
    """
    bus = Bus(settings_for(infra.nats.url), name="test")  # never started: the relay only reads the outbox
    for yields in range(4):
        outbox = Outbox(store, bus, sweep_interval=0.5)
        outbox.start()
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


async def test_an_unforeseen_publish_failure_leaves_the_event_to_the_relay(infra: Infra, store: EventStore) -> None:
    bus = _FailsOnce(settings_for(infra.nats.url), name="test")
    bus.start()
    await bus.wait_ready()
    # A long grace: the periodic sweep takes nothing here, so what is published live is the live task's doing.
    outbox = Outbox(store, bus, sweep_interval=0.2, sweep_grace=timedelta(seconds=120))
    outbox.start()
    try:
        await eventually(lambda: holds(not outbox.catching_up), what="outbox live")
        first = (await store.append(event("f1"), expected_version=0)).event
        outbox.publish(first)  # fails: the relay takes over from its entry
        await eventually(lambda: _outbox_empty(store), what="published by the relay")
        await eventually(lambda: holds(not outbox.catching_up), what="outbox live again")
        second = (await store.append(event("f2"), expected_version=0)).event
        outbox.publish(second)  # the live publisher is still there
        await eventually(lambda: _outbox_empty(store), what="published live")
        assert await stream_messages(bus) == 2
    finally:
        await outbox.stop()
        await bus.close()

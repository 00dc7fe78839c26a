"""A projection consumer waits out a database outage: it never stops, and never drops an event (issue 12, 1-3).

The log lives in the session's FerretDB; the views (and checkpoints) in a FerretDB of the test's own, which is
stopped and started again. NATS is the session's, with a stream of the test's own.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from nats.js import api
from pymongo import AsyncMongoClient
from pymongo.errors import ConnectionFailure

import projector.consumer as consumer_module
from projector.consumer import CHECKPOINTS, ProjectionConsumer
from shared.bus import Bus
from shared.event_store import EventStore
from shared.events import Envelope, NewEvent, PresenceChanged, now
from shared.mongo import insert_new
from tests.support import FerretDB, eventually, holds, unique


class Recorded:
    """Writes each event's id into its view (``in_memory``: keeps them in memory, so only checkpoints hit the
    database)."""

    name = "recorded"
    models: tuple[str, ...] = ()

    def __init__(self, views: Any, *, in_memory: bool = False) -> None:
        self.collection = views["recorded"]
        self.in_memory = in_memory
        self.seen: list[str] = []

    async def ensure_indexes(self) -> None:
        pass

    def begin_rebuild(self) -> None:
        pass

    async def flush(self) -> None:
        pass

    async def apply_batch(self, events: list[Envelope]) -> None:
        if not self.in_memory:
            await insert_new(self.collection, [{"_id": e.id, "position": e.position} for e in events])
        self.seen.extend(e.id for e in events if e.id not in self.seen)


@pytest.fixture
def views_db(tmp_path: Path) -> Iterator[FerretDB]:
    ferret = FerretDB(tmp_path)
    ferret.start()
    try:
        yield ferret
    finally:
        ferret.stop()


@pytest.fixture
async def views(views_db: FerretDB) -> AsyncIterator[Any]:
    # Fails fast while the database is down, as the services' client does (PARLEY_MONGODB_TIMEOUT_MS).
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        views_db.url, serverSelectionTimeoutMS=300, connectTimeoutMS=300
    )
    try:
        yield client["views"]
    finally:
        await client.close()


async def publish(store: EventStore, bus: Bus, count: int) -> list[Envelope]:
    events = []
    for _ in range(count):
        user = unique("u")
        new = NewEvent(
            stream=f"presence:{user}",
            data=PresenceChanged(user_id=user, online=True, last_seen=now(), reason="connected"),
        )
        stored = (await store.append(new, expected_version=0)).event
        await bus.publish(stored)
        events.append(stored)
    return events


async def checkpoint(views: Any) -> int:
    try:
        doc = await views[CHECKPOINTS].find_one({"_id": "recorded"})
    except ConnectionFailure:
        return 0  # the client has not seen the database back yet
    return int(doc["position"]) if doc else 0


async def test_events_that_arrive_during_a_database_outage_are_all_projected_after_it(
    store: EventStore, bus: Bus, views: Any, views_db: FerretDB
) -> None:
    projection = Recorded(views)
    # Few deliveries allowed: an outage used to use them up, and JetStream then never redelivered the event.
    consumer = ProjectionConsumer(projection, bus, views, max_deliver=2, linger=0.01)
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(stop))
    try:
        first = await publish(store, bus, 1)
        await eventually(lambda: holds(first[0].id in projection.seen), what="the consumer works")
        views_db.stop()
        during = await publish(store, bus, 3)
        await asyncio.sleep(5.0)  # several redeliveries' worth of outage
        assert not task.done()
        views_db.start()

        async def all_recorded() -> bool:
            try:
                ids = {doc["_id"] async for doc in views["recorded"].find()}
            except ConnectionFailure:
                return False  # the client has not seen the database back yet
            return {e.id for e in first + during} <= ids

        await eventually(all_recorded, timeout=30, what="every event projected after the outage")
        await eventually(
            lambda: _true_if_async(checkpoint(views), during[-1].position), what="checkpoint at the last event"
        )
        assert not task.done()
        assert consumer.problem() is None
        info = await bus.js.consumer_info(bus.settings.nats_stream, consumer.durable)
        assert info.num_pending == 0 and info.num_ack_pending == 0
    finally:
        await finish(task, stop)


async def test_a_failed_checkpoint_write_does_not_stop_the_consumer(
    store: EventStore, bus: Bus, views: Any, views_db: FerretDB, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(consumer_module, "STUCK_AFTER_SECONDS", 1.0, raising=False)
    projection = Recorded(views, in_memory=True)
    consumer = ProjectionConsumer(projection, bus, views, linger=0.01)
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(stop))
    try:
        await eventually(lambda: subscribed(bus, consumer.durable), what="subscribed")
        views_db.stop()
        first = await publish(store, bus, 1)
        # Applied in memory; its checkpoint cannot be written. That used to end the consumer's task for good.
        await eventually(lambda: holds(first[0].id in projection.seen), what="applied")
        await eventually(lambda: holds(consumer.problem() is not None), what="reported stuck")
        assert "database" in str(consumer.problem())
        assert not task.done()
        views_db.start()
        await eventually(lambda: _true_if_async(checkpoint(views), first[0].position), timeout=30, what="checkpoint")
        second = await publish(store, bus, 1)
        await eventually(lambda: holds(second[0].id in projection.seen), what="still consuming")
        assert consumer.problem() is None
    finally:
        await finish(task, stop)


async def test_an_existing_consumer_is_told_to_redeliver_without_limit(bus: Bus) -> None:
    durable = unique("projector-")
    await bus.js.add_consumer(
        bus.settings.nats_stream,
        config=api.ConsumerConfig(
            name=durable,
            durable_name=durable,
            ack_policy=api.AckPolicy.EXPLICIT,
            max_deliver=5,
            filter_subject=bus.all_subjects,
        ),
    )
    await bus.pull_subscription(durable)
    info = await bus.js.consumer_info(bus.settings.nats_stream, durable)
    assert info.config.max_deliver == -1


async def finish(task: asyncio.Task[None], stop: asyncio.Event) -> None:
    stop.set()
    done, _ = await asyncio.wait([task], timeout=5)
    if not done:
        task.cancel()  # still waiting for the database (a failed test): the projector cancels it the same way
    await asyncio.gather(task, return_exceptions=True)


async def subscribed(bus: Bus, durable: str) -> bool:
    try:
        await bus.js.consumer_info(bus.settings.nats_stream, durable)
    except Exception:
        return False
    return True


async def _true_if_async(position: Any, wanted: int) -> bool:
    return int(await position) >= wanted


class CountedWrites:
    """The checkpoints collection, counting the writes to it."""

    def __init__(self, collection: Any) -> None:
        self.collection = collection
        self.writes = 0

    async def update_one(self, *args: Any, **kwargs: Any) -> Any:
        self.writes += 1
        return await self.collection.update_one(*args, **kwargs)

    async def find_one(self, *args: Any, **kwargs: Any) -> Any:
        return await self.collection.find_one(*args, **kwargs)


async def test_the_checkpoint_is_written_once_a_second_and_caught_up_when_idle_or_paused(
    store: EventStore, bus: Bus, views: Any
) -> None:
    projection = Recorded(views, in_memory=True)
    consumer = ProjectionConsumer(projection, bus, views, linger=0.01)
    counted = CountedWrites(consumer.checkpoints)
    consumer.checkpoints = counted  # type: ignore[assignment]
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(stop))
    try:
        await eventually(lambda: subscribed(bus, consumer.durable), what="subscribed")
        published: list[Envelope] = []
        started = asyncio.get_running_loop().time()
        for _ in range(20):  # about 20 batches within a second or so
            published += await publish(store, bus, 1)
            await asyncio.sleep(0.05)
        elapsed = asyncio.get_running_loop().time() - started
        await eventually(lambda: holds(published[-1].id in projection.seen), what="applied")
        assert counted.writes <= elapsed / consumer_module.CHECKPOINT_SECONDS + 2, (counted.writes, elapsed)
        # Idle: the checkpoint catches up within a fetch timeout.
        await eventually(lambda: _true_if_async(checkpoint(views), published[-1].position), what="caught up")
        # A pause answers the position applied, written first.
        more = await publish(store, bus, 1)
        await eventually(lambda: holds(more[0].id in projection.seen), what="applied again")
        assert await consumer.pause(lease=10.0) == more[0].position
        consumer.resume()
    finally:
        await finish(task, stop)

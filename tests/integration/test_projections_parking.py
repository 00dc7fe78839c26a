"""A poison event is parked and the projection goes on: the conversations projection consuming from the session's
NATS (a stream of the test's own), its views on the session's FerretDB.

An event whose handler raises fails its batch; the batch is then applied one event at a time, so the events around
it are written, and the poison one is redelivered until ``max_deliver``, then parked and dropped from the stream.
An event that cannot even be decoded is parked at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest
from pymongo import AsyncMongoClient

from projector.consumer import PARKED, ProjectionConsumer
from projector.conversations import ConversationsProjection
from shared.bus import Bus
from shared.event_store import EventStore
from shared.events import Envelope, new_id
from shared.views import CONVERSATIONS, ViewCatalog, summary_id
from tests.integration.test_projections import Log
from tests.support import eventually, holds


@pytest.fixture
async def catalog(mongo: AsyncMongoClient[dict[str, Any]], db_name: str) -> AsyncIterator[ViewCatalog]:
    yield ViewCatalog(mongo[f"{db_name}_views"])
    await mongo.drop_database(f"{db_name}_views")


class Running:
    """The conversations projection's consumer, running until the test ends."""

    def __init__(self, bus: Bus, catalog: ViewCatalog) -> None:
        # Two deliveries, then parked: the production default (5) only makes the test wait longer.
        self.consumer = ProjectionConsumer(ConversationsProjection(catalog), bus, catalog.db, max_deliver=2)
        self.stop = asyncio.Event()
        self.task = asyncio.create_task(self.consumer.run(self.stop))

    async def finish(self) -> None:
        self.stop.set()
        done, _ = await asyncio.wait([self.task], timeout=5)
        if not done:
            self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)


async def send(log: Log, bus: Bus, text: str) -> Envelope:
    """A message from ana to ben: appended to the log and published, as the command side does."""
    event = await log.send("ana", "ben", text)
    await bus.publish(event)
    return event


def poisoned(event: Envelope) -> Envelope:
    """Another message like ``event`` whose seq is not a number: decoding it in a handler raises (pydantic's
    ValidationError). Published, never in the log (the store takes only valid events)."""
    fields = orjson.loads(event.to_json())
    fields.update(id=new_id(), position=event.position + 1000, data={**fields["data"], "seq": "seven"})
    return Envelope.from_json(orjson.dumps(fields))


async def last_seq(catalog: ViewCatalog) -> int:
    summary = await catalog[CONVERSATIONS].find_one({"_id": summary_id("ben", "ana")})
    return int(summary["last_seq"]) if summary else 0


async def parked(catalog: ViewCatalog) -> list[dict[str, Any]]:
    return [doc async for doc in catalog.db[PARKED].find()]


async def nothing_left_to_deliver(bus: Bus, durable: str) -> bool:
    info = await bus.js.consumer_info(bus.settings.nats_stream, durable)
    return bool(info.num_pending == 0 and info.num_ack_pending == 0)


async def test_an_event_whose_handler_raises_is_parked_and_later_events_still_apply(
    store: EventStore, bus: Bus, catalog: ViewCatalog
) -> None:
    log = Log(store)
    first = await send(log, bus, "hello 1")
    poison = poisoned(first)
    await bus.publish(poison)
    await send(log, bus, "hello 2")
    running = Running(bus, catalog)  # one fetch takes all three: the batch fails, then goes one by one
    try:
        found = await eventually(lambda: parked(catalog), what="the poison event parked")
        assert [(p["projection"], p["event_id"], p["type"], p["position"]) for p in found] == [
            ("conversations", poison.id, "MessageSent", poison.position)
        ]
        assert "validation error for MessageSent" in found[0]["reason"]
        assert orjson.loads(found[0]["raw"])["data"]["seq"] == "seven"
        await eventually(lambda: holds_async(last_seq(catalog), 2), what="the events around it applied")
        later = await send(log, bus, "hello 3")
        await eventually(lambda: holds_async(last_seq(catalog), 3), what="an event after the parking applied")
        summary = await catalog[CONVERSATIONS].find_one({"_id": summary_id("ben", "ana")})
        assert summary is not None
        assert (summary["last_message"]["id"], summary["unread_seqs"]) == (later.data["message_id"], [1, 2, 3])
        await eventually(lambda: nothing_left_to_deliver(bus, running.consumer.durable), what="nothing redelivered")
        assert not running.task.done() and running.consumer.problem() is None
    finally:
        await running.finish()


async def test_an_undecodable_event_is_parked_at_once_and_the_next_one_applies(
    store: EventStore, bus: Bus, catalog: ViewCatalog
) -> None:
    log = Log(store)
    await bus.js.publish(bus.subject("MessageSent"), b"{not an event", headers={"Nats-Msg-Id": new_id()})
    running = Running(bus, catalog)
    try:
        found = await eventually(lambda: parked(catalog), what="the undecodable event parked")
        assert [(p["event_id"], p["raw"]) for p in found] == [(None, "{not an event")]
        assert found[0]["reason"].startswith("undecodable")
        await send(log, bus, "hello 1")
        await eventually(lambda: holds_async(last_seq(catalog), 1), what="the next event applied")
        await eventually(lambda: nothing_left_to_deliver(bus, running.consumer.durable), what="nothing redelivered")
    finally:
        await running.finish()


async def holds_async(value: Any, at_least: int) -> bool:
    return await holds(int(await value) >= at_least)

"""Rebuilding views straight from a log: schema evolution for real, and the replay's read of the log."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from projector.rebuild import Rebuild, compare
from shared.event_store import EventStore
from shared.events import Envelope, PresenceChanged, now, position_id
from shared.views import USERS
from tests.support import unique


@pytest.fixture
async def log_and_views(mongo: AsyncMongoClient[dict[str, Any]]) -> AsyncIterator[tuple[EventStore, Any]]:
    name = unique("replay")
    store = EventStore(mongo[name])
    await store.ensure_indexes()
    yield store, mongo[f"{name}_views"]
    await mongo.drop_database(name)
    await mongo.drop_database(f"{name}_views")


def stored(position: int, type_: str, schema: int, stream: str, version: int, data: dict[str, Any]) -> dict[str, Any]:
    """An event document as a release of its time wrote it."""
    return {
        "_id": position_id(position),
        "event_id": f"e{position}",
        "type": type_,
        "schema": schema,
        "stream": stream,
        "stream_version": version,
        "position": position,
        "occurred_at": now() + timedelta(milliseconds=position),
        "actor_id": data.get("user_id"),
        "correlation_id": None,
        "causation_id": None,
        "idempotency_key": f"event:e{position}",
        "data": data,
    }


def registered(position: int, user: str) -> dict[str, Any]:
    data = {"user_id": user, "name": user.title(), "email": f"{user}@example.com", "password_hash": "$2b$12$x"}
    return stored(position, "UserRegistered", 1, f"user:{user}", 1, data)


def presence_v1(position: int, user: str, version: int, online: bool) -> dict[str, Any]:
    """PresenceChanged as schema 1 had it: no ``reason``."""
    data = {"user_id": user, "online": online, "last_seen": now()}
    return stored(position, "PresenceChanged", 1, f"presence:{user}", version, data)


async def test_a_log_written_with_schema_1_replays_into_views_built_with_schema_2(
    log_and_views: tuple[EventStore, Any],
) -> None:
    store, views = log_and_views
    assert PresenceChanged.schema_version == 2
    await store.events.insert_many(
        [
            registered(1, "ana"),
            registered(2, "ben"),
            presence_v1(3, "ana", 1, True),
            presence_v1(4, "ben", 1, True),
            presence_v1(5, "ben", 2, False),
        ]
    )
    event = Envelope.from_document(await store.events.find_one({"_id": position_id(5)}) or {})
    assert event.schema == 2 and event.decode() == PresenceChanged(
        user_id="ben", online=False, last_seen=event.data["last_seen"], reason="disconnected"
    )

    rebuild = Rebuild(store, views, ["users"])
    await rebuild.start()
    assert await rebuild.feed() == 5
    await rebuild.flush()
    users = {doc["_id"]: doc async for doc in views[rebuild.targets[USERS]].find()}
    assert (users["ana"]["online"], users["ana"]["presence_reason"]) == (True, "connected")
    assert (users["ben"]["online"], users["ben"]["presence_reason"]) == (False, "disconnected")
    assert "password_hash" not in users["ana"]
    stored_doc = await store.events.find_one({"_id": position_id(5)})
    assert stored_doc is not None and stored_doc["schema"] == 1  # the log is never rewritten


async def test_the_replay_reads_the_log_in_position_order_whatever_the_storage_order(
    log_and_views: tuple[EventStore, Any],
) -> None:
    store, _ = log_and_views
    docs = [registered(p, f"user{p}") for p in range(1, 301)]
    random.Random(7).shuffle(docs)  # written in any order (several writers)
    await store.events.insert_many(docs)
    assert [e.position async for e in store.scan()] == list(range(1, 301))
    assert [e.position async for e in store.scan(after_position=120, until_position=130)] == list(range(121, 131))
    # A gap (an append still in flight) ends the read before it; the caller carries on from there later.
    await store.events.insert_one(registered(302, "late"))
    assert [e.position async for e in store.scan(after_position=295)] == list(range(296, 301))


async def test_a_rebuild_fed_in_steps_equals_one_fed_at_once(log_and_views: tuple[EventStore, Any]) -> None:
    store, views = log_and_views
    docs = [registered(p, f"u{p}") for p in range(1, 41)]
    docs += [presence_v1(40 + p, f"u{p}", 1, True) for p in range(1, 41)]
    await store.events.insert_many(docs)
    whole = Rebuild(store, views, ["users"])
    await whole.start()
    await whole.feed()
    await whole.flush()
    steps = Rebuild(store, views, ["users"])
    await steps.start()
    await steps.feed(25)
    await steps.flush()  # from here on it writes as it applies, like a live consumer
    await steps.feed(60)
    await steps.feed()
    difference = await compare(USERS, views[whole.targets[USERS]], views[steps.targets[USERS]])
    assert difference.equal and difference.live == 40

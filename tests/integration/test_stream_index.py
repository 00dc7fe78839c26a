"""The log's own index (stream heads, idempotency keys) against the real FerretDB: what a new process finds by
``_id``, how it catches up after a crash between an append and its index entry, and races between processes."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import pytest
from pymongo import AsyncMongoClient, monitoring

from shared.event_log import ConcurrencyError
from shared.event_store import EventStore
from shared.events import NewEvent, PresenceChanged, UserProfileUpdated, UserRegistered, now, position_id
from shared.stream_index import CHECKPOINT, INDEX, head_id
from tests.support import Infra


def presence(user: str, online: bool = True) -> NewEvent:
    data = PresenceChanged(
        user_id=user, online=online, last_seen=now(), reason="connected" if online else "disconnected"
    )
    return NewEvent(stream=f"presence:{user}", data=data, actor_id=user)


def registered(user: str) -> NewEvent:
    data = UserRegistered(user_id=user, name="Ann", email=f"{user}@example.com", password_hash="h")
    return NewEvent(stream=f"user:{user}", data=data, actor_id=user, idempotency_key=f"user-email:{user}")


async def test_a_new_process_finds_heads_and_keys_by_id(store: EventStore) -> None:
    await store.append(presence("u1"), expected_version=0)
    last = (await store.append(presence("u1", online=False), expected_version=1)).event
    first = (await store.append(registered("u2"), expected_version=0)).event
    fresh = EventStore(store.db)
    assert await fresh.last_event("presence:u1") == last
    assert await fresh.last_event("presence:nobody") is None
    assert await fresh.find_by_idempotency_key("user-email:u2", exhaustive=False) == first
    assert await fresh.last_position() == first.position


async def test_the_newest_event_of_each_type(store: EventStore) -> None:
    reg = (await store.append(registered("u1"), expected_version=0)).event
    for version, name in enumerate(["B", "C"], start=1):
        change = UserProfileUpdated(user_id="u1", name=name, avatar_media_id=None)
        await store.append(NewEvent(stream="user:u1", data=change), expected_version=version)
    latest = await EventStore(store.db).latest_of_types("user:u1", ["UserRegistered", "UserProfileUpdated"])
    assert [e.type for e in latest] == ["UserRegistered", "UserProfileUpdated"]
    assert latest[0] == reg and latest[1].data["name"] == "C" and latest[1].stream_version == 3


async def test_start_indexes_what_a_crash_left_out(store: EventStore) -> None:
    for version in range(40):
        await store.append(presence("u1", online=version % 2 == 0), expected_version=version)
    head = await store.last_event("presence:u1")
    assert head is not None
    # As if the process died after writing the last events but before their index entries.
    index = store.db[INDEX]
    await index.replace_one(
        {"_id": head_id("presence:u1")},
        {"_id": head_id("presence:u1"), "version": 3, "position": head.position - 37, "latest": {}},
    )
    await index.replace_one({"_id": CHECKPOINT}, {"_id": CHECKPOINT, "position": head.position - 37})
    fresh = EventStore(store.db)
    assert await fresh.catch_up_index() == 37
    assert await fresh.last_event("presence:u1") == head


async def test_a_log_written_before_the_index_is_indexed_once(store: EventStore) -> None:
    await store.append(presence("u1"), expected_version=0)
    reg = (await store.append(registered("u2"), expected_version=0)).event
    await store.db.drop_collection(INDEX)
    fresh = EventStore(store.db)
    assert await fresh.catch_up_index() == 2
    assert await fresh.find_by_idempotency_key("user-email:u2", exhaustive=False) == reg
    assert await EventStore(store.db).catch_up_index() == 0


async def test_a_stale_head_written_by_another_process_is_seen_through(store: EventStore) -> None:
    other = EventStore(store.db)
    await store.append(presence("u1"), expected_version=0)
    await other.append(presence("u1", online=False), expected_version=1)
    # Another process's index write came late: the entry still says version 1.
    await store.db[INDEX].update_one({"_id": head_id("presence:u1")}, {"$set": {"version": 1}})
    with pytest.raises(ConcurrencyError):
        await store.append(presence("u1"), expected_version=1)
    assert await store.stream_version("presence:u1") == 2
    assert (await store.append(presence("u1"), expected_version=2)).created
    assert await EventStore(store.db).stream_version("presence:u1") == 3


@pytest.mark.parametrize("group", [1, 30], ids=["one command", "keys first"])
async def test_a_key_indexed_again_keeps_its_first_event(store: EventStore, group: int) -> None:
    """Indexing is repeated after a crash or a failed write: a key's entry never moves, in either way of writing."""
    stored = [(await store.append(registered(f"k{i}"), expected_version=0)).event for i in range(group)]
    docs = [await store.events.find_one({"_id": position_id(e.position)}) for e in stored]
    moved = [{**doc, "position": doc["position"] + 1000} for doc in docs if doc is not None]
    await store.index.record(moved)
    for event in stored:
        assert await store.index.key_position(f"user-email:{event.data['user_id']}") == event.position


async def test_versions_read_ahead_are_answered_once(store: EventStore) -> None:
    """A send's first read takes the recipient's and the conversation's heads together; each is used once."""
    await store.append(presence("u1"), expected_version=0)
    await store.append(registered("u2"), expected_version=0)
    fresh = EventStore(store.db)
    await fresh.prefetch_versions(["presence:u1", "user:u2", "presence:nobody"])
    await store.db[INDEX].update_one({"_id": head_id("presence:u1")}, {"$set": {"version": 7}})
    assert await fresh.stream_version("presence:u1") == 1  # from the read ahead
    assert await fresh.stream_version("presence:u1") == 7  # taken: read again
    assert await fresh.stream_version("user:u2") == 1
    # A stream with no head (a first message between two people) is answered from the read ahead too.
    await store.append(presence("nobody"), expected_version=0)
    assert await fresh.stream_version("presence:nobody") == 0
    assert await fresh.stream_version("presence:nobody") == 1  # taken: read again


class _Finds(monitoring.CommandListener):
    def __init__(self) -> None:
        self.finds = 0

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        self.finds += event.command_name == "find"

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


async def test_many_heads_are_read_together(store: EventStore, infra: Infra) -> None:
    """A presence storm settles thousands of users at once: their heads come in a few reads, not two per user."""
    for i in range(60):
        await store.append(presence(f"u{i}"), expected_version=0)
    await store.append(presence("u0", online=False), expected_version=1)
    streams = [f"presence:u{i}" for i in range(60)] + ["presence:nobody"]
    expected = {stream: await EventStore(store.db).last_event(stream) for stream in streams}
    finds = _Finds()
    watched: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        infra.ferretdb.url, tz_aware=True, event_listeners=[finds]
    )
    try:
        fresh = EventStore(watched[store.db.name])
        fresh.forget("presence:u7", at_least=1)  # known here to have reached version 1: its entry will do
        assert await fresh.last_events(streams) == expected
        assert finds.finds == 2  # the heads, then their events
        assert await fresh.last_events(streams) == expected
        assert finds.finds == 3  # remembered, but for the stream with no events: its head is asked again
        # An index entry behind what this process saw is seen through, stream by stream.
        fresh.forget("presence:u3", at_least=2)
        await store.append(presence("u3", online=False), expected_version=1)
        await store.db[INDEX].update_one({"_id": head_id("presence:u3")}, {"$set": {"version": 1}})
        newest = await fresh.last_events(["presence:u3"])
        assert newest["presence:u3"] is not None and newest["presence:u3"].stream_version == 2
    finally:
        await watched.close()


async def test_an_append_that_need_not_wait_for_the_index_is_answered_before_it(store: EventStore) -> None:
    """A message is answered once it is in the log; a sign-up once it is indexed too (another instance may look its
    key up by ``_id`` at once). Either way the next commit comes after the index write."""
    release = asyncio.Event()
    recording = store.index.record

    async def held_record(docs: Sequence[dict[str, Any]], *, checkpoint: bool = True) -> None:
        await release.wait()
        await recording(docs, checkpoint=checkpoint)

    store.index.record = held_record  # type: ignore[method-assign]
    quick = replace(presence("u1"), indexed_before_answer=False)
    answered = await asyncio.wait_for(store.append(quick, expected_version=0), timeout=5)
    assert answered.created and await store.at(answered.event.position) == answered.event
    assert await store.index.head("presence:u1") is None  # not indexed yet
    signup = asyncio.create_task(store.append(registered("u2"), expected_version=0))
    await asyncio.sleep(0.3)
    assert not signup.done()
    release.set()
    stored = (await asyncio.wait_for(signup, timeout=5)).event
    assert stored.position == answered.event.position + 1
    fresh = EventStore(store.db)
    assert await fresh.find_by_idempotency_key("user-email:u2", exhaustive=False) == stored
    assert await fresh.last_event("presence:u1") == answered.event

"""The event-store contract, against the real FerretDB."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from shared.event_log import ConcurrencyError
from shared.event_store import EventStore, position_id
from shared.events import EVENT_TYPES, UPCASTERS, EventData, NewEvent, PresenceChanged, UserRegistered, now


def presence(user: str, online: bool = True, **kw: Any) -> NewEvent:
    return NewEvent(
        stream=f"presence:{user}",
        data=PresenceChanged(
            user_id=user, online=online, last_seen=now(), reason="connected" if online else "disconnected"
        ),
        actor_id=user,
        **kw,
    )


async def test_append_and_read_back(store: EventStore) -> None:
    first = await store.append(presence("u1", correlation_id="req-1"), expected_version=0)
    second = await store.append(presence("u1", online=False), expected_version=1)
    assert first.created and second.created
    assert (first.event.stream_version, second.event.stream_version) == (1, 2)
    assert second.event.position > first.event.position
    stream = await store.read_stream("presence:u1")
    assert [e.id for e in stream] == [first.event.id, second.event.id]
    assert stream[0] == first.event
    assert stream[0].correlation_id == "req-1"
    assert await store.stream_version("presence:u1") == 2
    assert await store.stream_version("presence:nobody") == 0


async def test_conflict_on_stale_version(store: EventStore) -> None:
    await store.append(presence("u1"), expected_version=0)
    with pytest.raises(ConcurrencyError):
        await store.append(presence("u1"), expected_version=0)
    assert len(await store.read_stream("presence:u1")) == 1


async def test_concurrent_writers_at_one_version_exactly_one_wins(store: EventStore) -> None:
    results = await asyncio.gather(
        *(store.append(presence("u1"), expected_version=0) for _ in range(10)), return_exceptions=True
    )
    assert sum(1 for r in results if not isinstance(r, BaseException)) == 1
    assert all(isinstance(r, ConcurrencyError) for r in results if isinstance(r, BaseException))
    assert len(await store.read_stream("presence:u1")) == 1


async def test_idempotent_append_returns_the_first_event(store: EventStore) -> None:
    first = await store.append(presence("u1", idempotency_key="k1"), expected_version=0)
    retry = await store.append(presence("u1", idempotency_key="k1"), expected_version=1)
    assert first.created and not retry.created
    assert retry.event == first.event
    assert len(await store.read_stream("presence:u1")) == 1


async def test_concurrent_retries_of_one_command_append_once(store: EventStore) -> None:
    results = await asyncio.gather(
        *(store.append_next("presence:u1", lambda _v: presence("u1", idempotency_key="same")) for _ in range(8))
    )
    assert sum(r.created for r in results) == 1
    assert len({r.event.id for r in results}) == 1
    assert len(await store.read_stream("presence:u1")) == 1


async def test_append_next_under_contention_keeps_every_event(store: EventStore) -> None:
    results = await asyncio.gather(*(store.append_next("presence:u1", lambda _v: presence("u1")) for _ in range(20)))
    assert sorted(r.event.stream_version for r in results) == list(range(1, 21))
    assert len({r.event.position for r in results}) == 20


async def test_read_all_in_position_order_after_a_position(store: EventStore) -> None:
    appended = [
        (await store.append_next(f"presence:u{i % 3}", lambda _v, i=i: presence(f"u{i % 3}"))).event for i in range(12)
    ]
    everything = [e async for e in store.read_all()]
    assert [e.id for e in everything] == [e.id for e in appended]
    positions = [e.position for e in everything]
    assert positions == sorted(positions)
    after = [e async for e in store.read_all(after_position=appended[4].position)]
    assert [e.id for e in after] == [e.id for e in appended[5:]]
    assert await store.last_position() == appended[-1].position


async def test_read_all_filters_by_type(store: EventStore) -> None:
    await store.append(presence("u1"), expected_version=0)
    registered = UserRegistered(user_id="u2", name="B", email="b@example.com", password_hash="h")
    await store.append(NewEvent(stream="user:u2", data=registered), expected_version=0)
    assert [e.type async for e in store.read_all(types=["UserRegistered"])] == ["UserRegistered"]


async def test_unicode_survives(store: EventStore) -> None:
    registered = UserRegistered(user_id="u3", name="Zoë 😀 漢字", email="z@example.com", password_hash="h")
    await store.append(NewEvent(stream="user:u3", data=registered), expected_version=0)
    (event,) = await store.read_stream("user:u3")
    assert event.decode() == registered


class MoodSet(EventData):
    event_type = "MoodSet"
    schema_version = 2

    user_id: str
    mood: str
    intensity: int


async def test_old_event_shapes_are_upcast_when_read(store: EventStore) -> None:
    EVENT_TYPES["MoodSet"] = MoodSet
    UPCASTERS[("MoodSet", 1)] = lambda data: {**data, "intensity": 1}
    try:
        # A v1 event as an older release wrote it: no intensity.
        await store.events.insert_one(
            {
                "_id": position_id(1),
                "event_id": "old-1",
                "type": "MoodSet",
                "schema": 1,
                "stream": "mood:u1",
                "stream_version": 1,
                "position": 1,
                "occurred_at": now(),
                "actor_id": "u1",
                "correlation_id": None,
                "causation_id": None,
                "idempotency_key": "event:old-1",
                "data": {"user_id": "u1", "mood": "calm"},
                "published_at": None,
            }
        )
        (event,) = await store.read_stream("mood:u1")
        assert event.schema == 2
        assert event.decode() == MoodSet(user_id="u1", mood="calm", intensity=1)
        assert [e.id async for e in store.read_all()] == ["old-1"]
        assert (await store.at(1)) == event
        stored = await store.events.find_one({"_id": position_id(1)})
        assert stored is not None and stored["schema"] == 1  # the log itself is never rewritten
    finally:
        del EVENT_TYPES["MoodSet"], UPCASTERS[("MoodSet", 1)]


async def test_head_position_is_found_past_a_stale_hint(store: EventStore) -> None:
    for i in range(37):
        await store.append(presence(f"u{i}"), expected_version=0)
    assert await store.last_position() == 37  # no hint at all
    assert await store.reached_position() == 0
    await store.mark_published(5)
    await store.mark_published(3)  # several processes move it: never back
    assert await EventStore(store.db).last_position() == 37
    assert await store.reached_position() == 5  # a lower bound, from the hint alone


async def test_keys_remembered_for_ever_are_found_by_a_new_process(store: EventStore) -> None:
    registered = UserRegistered(user_id="u4", name="D", email="d@example.com", password_hash="h")
    new = NewEvent(stream="user:u4", data=registered, idempotency_key="user-email:d@example.com")
    first = (await store.append(new, expected_version=0)).event
    fresh = EventStore(store.db)
    assert await fresh.find_by_idempotency_key("user-email:d@example.com", exhaustive=False) == first
    assert await fresh.find_by_idempotency_key("user-email:nobody", exhaustive=True) is None


async def test_two_stores_on_one_log_never_share_a_position(
    mongo: AsyncMongoClient[dict[str, Any]], store: EventStore
) -> None:
    # Two processes appending at once: each has its own store (and lock) on the same database.
    other = EventStore(store.db)
    results = await asyncio.gather(
        *(s.append_next(f"presence:u{i}", lambda _v, i=i: presence(f"u{i}")) for i in range(30) for s in (store, other))
    )
    positions = sorted(r.event.position for r in results)
    assert positions == list(range(1, 61))  # unique and gapless
    read = [e.position async for e in store.read_all()]
    assert read == positions


async def test_an_append_is_answered_after_its_own_group_not_when_the_queue_runs_dry(store: EventStore) -> None:
    """Under steady load the queue of appends never empties; the append that started writing must not be held
    until it does (it was, and that was the messaging benchmark's tail latency)."""
    stop = asyncio.Event()
    others: list[asyncio.Task[Any]] = []

    async def keep_appending() -> None:
        while not stop.is_set() and len(others) < 5000:
            others.append(asyncio.create_task(store.append(presence(f"busy{len(others)}"), expected_version=0)))
            await asyncio.sleep(0.0005)

    first = asyncio.create_task(store.append(presence("first"), expected_version=0))
    feeder = asyncio.create_task(keep_appending())
    done, _ = await asyncio.wait({first}, timeout=1.5)
    stop.set()
    await feeder
    await asyncio.gather(first, *others)
    assert first in done
    positions = sorted([first.result().event.position] + [t.result().event.position for t in others])
    assert positions == list(range(1, len(others) + 2))

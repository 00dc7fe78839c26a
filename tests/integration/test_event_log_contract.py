"""The event log's contract (shared/event_log.py), kept alike by ``EventStore`` on FerretDB and by the in-memory
log of the unit tests (tests/support/memory_log.py): a handler tested on one behaves alike on the other.

What only the store does (positions across processes, group commits, upcasting stored shapes, the published mark)
is tested in test_event_store.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from shared.event_log import ConcurrencyError, EventLog
from shared.events import NewEvent, PresenceChanged, UserProfileUpdated, UserRegistered, now
from tests.support.memory_log import InMemoryEventLog


@pytest.fixture(params=["store", "memory"])
def log(request: pytest.FixtureRequest) -> EventLog:
    if request.param == "store":
        # A fresh database of the session's FerretDB (tests/integration/conftest.py), started only for this case.
        store: EventLog = request.getfixturevalue("store")
        return store
    memory: EventLog = InMemoryEventLog()
    return memory


def presence(user: str, online: bool = True, **kw: Any) -> NewEvent:
    return NewEvent(
        stream=f"presence:{user}",
        data=PresenceChanged(
            user_id=user, online=online, last_seen=now(), reason="connected" if online else "disconnected"
        ),
        actor_id=user,
        **kw,
    )


def registered(user: str, **kw: Any) -> NewEvent:
    data = UserRegistered(user_id=user, name="A", email=f"{user}@example.com", password_hash="h")
    return NewEvent(stream=f"user:{user}", data=data, actor_id=user, **kw)


def profile(user: str, name: str) -> NewEvent:
    return NewEvent(stream=f"user:{user}", data=UserProfileUpdated(user_id=user, name=name), actor_id=user)


async def test_append_and_read_back(log: EventLog) -> None:
    assert await log.stream_version("presence:u1") == 0
    assert await log.read_stream("presence:u1") == []
    new = presence("u1", correlation_id="req-1", causation_id="c-1")
    first = await log.append(new, expected_version=0)
    second = await log.append(presence("u1", online=False), expected_version=1)
    assert first.created and second.created
    assert (first.event.stream_version, second.event.stream_version) == (1, 2)
    assert first.event.position >= 1 and second.event.position > first.event.position
    assert await log.read_stream("presence:u1") == [first.event, second.event]
    assert await log.read_stream("presence:u1", after_version=1) == [second.event]
    (event, _) = await log.read_stream("presence:u1")
    assert (event.id, event.type, event.schema, event.actor_id) == (new.id, "PresenceChanged", 2, "u1")
    assert (event.occurred_at, event.correlation_id, event.causation_id) == (new.occurred_at, "req-1", "c-1")
    assert event.decode() == new.data
    assert await log.stream_version("presence:u1") == 2
    assert await log.stream_version("presence:nobody") == 0


async def test_positions_are_gapless_from_one_across_streams(log: EventLog) -> None:
    def of(user: str) -> Callable[[int], NewEvent]:
        return lambda _version: presence(user)

    results = await asyncio.gather(*(log.append_next(f"presence:u{i % 3}", of(f"u{i % 3}")) for i in range(9)))
    assert sorted(r.event.position for r in results) == list(range(1, 10))


async def test_conflict_on_a_stale_version(log: EventLog) -> None:
    await log.append(presence("u1"), expected_version=0)
    await log.append(presence("u1"), expected_version=1)
    for stale in (0, 1):
        with pytest.raises(ConcurrencyError) as raised:
            await log.append(presence("u1"), expected_version=stale)
        assert (raised.value.stream, raised.value.expected_version) == ("presence:u1", stale)
    assert await log.stream_version("presence:u1") == 2


async def test_of_concurrent_appends_at_one_version_exactly_one_wins(log: EventLog) -> None:
    results = await asyncio.gather(
        *(log.append(presence("u1"), expected_version=0) for _ in range(10)), return_exceptions=True
    )
    winners = [r for r in results if not isinstance(r, BaseException)]
    assert len(winners) == 1
    assert all(isinstance(r, ConcurrencyError) for r in results if isinstance(r, BaseException))
    assert await log.read_stream("presence:u1") == [winners[0].event]


async def test_an_idempotent_append_returns_the_first_event_whatever_the_version(log: EventLog) -> None:
    first = await log.append(presence("u1", idempotency_key="k1"), expected_version=0)
    again = await log.append(presence("u1", idempotency_key="k1"), expected_version=1)  # the version it would take
    stale = await log.append(presence("u1", idempotency_key="k1"), expected_version=0)  # a stale version
    assert first.created and not again.created and not stale.created
    assert again.event == first.event and stale.event == first.event
    assert await log.read_stream("presence:u1") == [first.event]


async def test_append_next_gives_concurrent_callers_consecutive_versions(log: EventLog) -> None:
    # Each attempt is built for the version it is offered: the stored event says which one it was built for.
    results = await asyncio.gather(
        *(log.append_next("presence:u1", lambda v: presence("u1", correlation_id=f"v{v}")) for _ in range(10))
    )
    assert sorted(r.event.stream_version for r in results) == list(range(1, 11))
    assert all(r.created and r.event.correlation_id == f"v{r.event.stream_version}" for r in results)
    assert [e.stream_version for e in await log.read_stream("presence:u1")] == list(range(1, 11))


async def test_last_event_and_last_events(log: EventLog) -> None:
    assert await log.last_event("presence:u1") is None
    await log.append(presence("u1"), expected_version=0)
    newest = (await log.append(presence("u1", online=False), expected_version=1)).event
    other = (await log.append(presence("u2"), expected_version=0)).event
    assert await log.last_event("presence:u1") == newest
    assert await log.last_events(["presence:u1", "presence:nobody", "presence:u2"]) == {
        "presence:u1": newest,
        "presence:nobody": None,
        "presence:u2": other,
    }
    assert await log.last_events([]) == {}


async def test_latest_of_types_gives_the_newest_of_each_in_stream_order(log: EventLog) -> None:
    signed_up = (await log.append(registered("u1"), expected_version=0)).event
    await log.append(profile("u1", "B"), expected_version=1)
    renamed = (await log.append(profile("u1", "C"), expected_version=2)).event
    wanted = ["UserProfileUpdated", "PasswordChanged", "UserRegistered"]  # one the stream does not have
    assert await log.latest_of_types("user:u1", wanted) == [signed_up, renamed]
    assert await log.latest_of_types("user:u1", ["UserProfileUpdated"]) == [renamed]
    assert await log.latest_of_types("user:nobody", wanted) == []


async def test_find_by_idempotency_key(log: EventLog) -> None:
    first = (await log.append(registered("u1", idempotency_key="user-email:u1@example.com"), expected_version=0)).event
    for exhaustive in (True, False):
        assert await log.find_by_idempotency_key("user-email:u1@example.com", exhaustive=exhaustive) == first
    assert await log.find_by_idempotency_key("user-email:nobody@example.com") is None


async def test_recall_knows_a_key_appended_here(log: EventLog) -> None:
    assert log.recall("k1") is None
    first = (await log.append(presence("u1", idempotency_key="k1"), expected_version=0)).event
    assert log.recall("k1") == first
    assert log.recall("k2") is None


async def test_prefetch_versions_changes_no_answer(log: EventLog) -> None:
    await log.append(presence("u1"), expected_version=0)
    log.forget("presence:u1")  # so that a store reads its version ahead instead of remembering it
    await log.prefetch_versions(["presence:u1", "presence:nobody"])
    assert await log.stream_version("presence:u1") == 1
    assert await log.stream_version("presence:nobody") == 0
    await log.prefetch_versions(["presence:u1"])
    await log.append(presence("u1"), expected_version=1)  # a version read ahead, then passed by an append
    assert await log.stream_version("presence:u1") == 2


async def test_after_forget_reads_give_the_same_answers(log: EventLog) -> None:
    await log.append(registered("u1", idempotency_key="k1"), expected_version=0)
    await log.append(profile("u1", "B"), expected_version=1)

    async def answers() -> tuple[Any, ...]:
        return (
            await log.stream_version("user:u1"),
            await log.last_event("user:u1"),
            await log.last_events(["user:u1"]),
            await log.latest_of_types("user:u1", ["UserRegistered", "UserProfileUpdated"]),
            await log.read_stream("user:u1"),
            await log.find_by_idempotency_key("k1"),
            log.recall("k1"),
        )

    before = await answers()
    log.forget("user:u1")
    assert await answers() == before
    log.forget("user:u1", at_least=2)  # what a writer that lost a race at version 1 knows
    assert await answers() == before
    assert (await log.append_next("user:u1", lambda _v: profile("u1", "C"))).event.stream_version == 3

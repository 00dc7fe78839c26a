"""The recorder's one load → decide → append loop, on the in-memory log."""

from __future__ import annotations

import pytest

from command_api.recorder import DECIDE_ATTEMPTS, Decision, Recorder
from shared.event_log import ConcurrencyError
from shared.events import NewEvent, PresenceChanged, now
from tests.support.memory_log import InMemoryEventLog
from tests.unit.conftest import Published


def online(user: str, value: bool) -> NewEvent:
    return NewEvent(
        stream=f"presence:{user}",
        data=PresenceChanged(user_id=user, online=value, last_seen=now(), reason="connected"),
        actor_id=user,
    )


async def test_a_decision_is_appended_on_the_version_it_saw_and_published(
    log: InMemoryEventLog, recorder: Recorder, published: Published
) -> None:
    async def decide() -> Decision:
        return Decision(online("u1", True), expected_version=await log.stream_version("presence:u1"))

    result = await recorder.decide(decide)
    assert result is not None and result.created and result.event.stream_version == 1
    assert published == [result.event]


async def test_deciding_nothing_appends_nothing(
    log: InMemoryEventLog, recorder: Recorder, published: Published
) -> None:
    async def decide() -> Decision:
        return Decision(None, expected_version=0)

    assert await recorder.decide(decide) is None
    assert log.events == [] and published == []


async def test_a_lost_race_decides_again_on_what_won(log: InMemoryEventLog, recorder: Recorder) -> None:
    seen: list[int] = []

    async def decide() -> Decision:
        version = await log.stream_version("presence:u1")
        seen.append(version)
        return Decision(online("u1", version % 2 == 0), expected_version=version)

    log.fail_next_append(2)
    result = await recorder.decide(decide)
    assert seen == [0, 1, 2]
    assert result is not None and result.event.stream_version == 3


async def test_it_gives_up_after_a_few_lost_races(log: InMemoryEventLog, recorder: Recorder) -> None:
    await log.append(online("u1", True), expected_version=0)
    calls = 0

    async def stale() -> Decision:
        nonlocal calls
        calls += 1
        return Decision(online("u1", False), expected_version=0)  # always decided on a version long gone

    with pytest.raises(ConcurrencyError):
        await recorder.decide(stale)
    assert calls == DECIDE_ATTEMPTS
    assert len(log.events) == 1

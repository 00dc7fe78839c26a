"""The account and presence handlers on the in-memory log."""

from __future__ import annotations

import asyncio

import pytest

from command_api.directory import UserDirectory
from command_api.domain.accounts import RegisterUser
from command_api.domain.rules import AlreadyExists
from command_api.handlers import accounts
from command_api.handlers.presence import settle_presence
from command_api.recorder import Recorder
from shared.events import Envelope, now
from shared.streams import presence_stream
from tests.support.memory_log import InMemoryEventLog
from tests.unit.conftest import Published, sign_up


async def test_an_email_has_one_account_even_when_signed_up_twice_at_once(
    log: InMemoryEventLog, recorder: Recorder, directory: UserDirectory, published: Published
) -> None:
    command = RegisterUser(name="Ann", email="Ann@Example.com", password="long enough")

    async def register() -> str:
        account = await accounts.register(
            command, log=log, recorder=recorder, directory=directory, bcrypt_rounds=4, correlation_id=None
        )
        return account.user_id

    results = await asyncio.gather(register(), register(), return_exceptions=True)
    assert sum(isinstance(r, str) for r in results) == 1
    assert sum(isinstance(r, AlreadyExists) for r in results) == 1
    assert [e.type for e in published] == ["UserRegistered"]
    winner = next(r for r in results if isinstance(r, str))
    assert await directory.exists(winner)
    with pytest.raises(AlreadyExists):
        await sign_up(recorder, directory, "ann")  # the same address, in other letters


async def settle(
    log: InMemoryEventLog, recorder: Recorder, user: str, has_sessions: bool, head: Envelope | None = None
) -> bool | None:
    """The state recorded (None: nothing recorded); ``head`` given as read beforehand, when not None."""
    event = await settle_presence(
        user,
        has_sessions=has_sessions,
        at=now(),
        expired=False,
        log=log,
        recorder=recorder,
        **({"head": head} if head is not None else {}),
    )
    return None if event is None else bool(event.data["online"])


async def test_presence_is_recorded_on_transitions_only(log: InMemoryEventLog, recorder: Recorder) -> None:
    assert await settle(log, recorder, "u1", False) is None  # never online: nothing to say
    assert await settle(log, recorder, "u1", True) is True
    assert await settle(log, recorder, "u1", True) is None
    assert await settle(log, recorder, "u1", False) is False
    assert [e.stream_version for e in await log.read_stream(presence_stream("u1"))] == [1, 2]


async def test_presence_on_a_head_read_beforehand_is_decided_again_after_a_lost_race(
    log: InMemoryEventLog, recorder: Recorder
) -> None:
    await settle(log, recorder, "u1", True)
    head = await log.last_event(presence_stream("u1"))  # read for a storm's batch: online
    log.fail_next_append()  # another instance records "offline" on top of it first
    assert await settle(log, recorder, "u1", False, head=head) is None  # decided again: offline already
    assert [e.data["online"] for e in await log.read_stream(presence_stream("u1"))] == [True, False]

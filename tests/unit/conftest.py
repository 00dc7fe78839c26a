"""Fixtures of the command handlers' unit tests: the in-memory log, a recorder on it, and what it published."""

from __future__ import annotations

import pytest

from command_api.directory import UserDirectory
from command_api.domain.accounts import RegisterUser
from command_api.handlers import accounts
from command_api.recorder import Recorder
from shared.events import Envelope
from tests.support.memory_log import InMemoryEventLog


class Published(list[Envelope]):
    """The recorder's outbox: every event handed over for publishing, in order."""

    def publish(self, event: Envelope) -> None:
        self.append(event)


@pytest.fixture
def log() -> InMemoryEventLog:
    return InMemoryEventLog()


@pytest.fixture
def published() -> Published:
    return Published()


@pytest.fixture
def recorder(log: InMemoryEventLog, published: Published) -> Recorder:
    return Recorder(log, published)


@pytest.fixture
def directory(log: InMemoryEventLog) -> UserDirectory:
    return UserDirectory(log)


async def sign_up(recorder: Recorder, directory: UserDirectory, name: str) -> str:
    """A new account's user id."""
    command = RegisterUser(name=name, email=f"{name.lower()}@example.com", password="long enough")
    account = await accounts.register(
        command, log=recorder.store, recorder=recorder, directory=directory, bcrypt_rounds=4, correlation_id=None
    )
    return account.user_id

"""Accounts: signing up, and checking a login's email and password."""

from __future__ import annotations

from command_api.directory import UserDirectory
from command_api.domain.accounts import LogIn, RegisterUser, email_key, register_user
from command_api.domain.rules import AlreadyExists
from command_api.recorder import Recorder
from command_api.sessions import Sessions
from shared.auth import check_password, check_password_against_nothing, hash_password
from shared.event_log import EventLog
from shared.events import Envelope, UserRegistered, new_id

EMAIL_TAKEN = "an account with this email already exists"


async def register(
    command: RegisterUser,
    *,
    log: EventLog,
    recorder: Recorder,
    directory: UserDirectory,
    bcrypt_rounds: int,
    correlation_id: str | None,
) -> UserRegistered:
    """Open an account; ``AlreadyExists`` when the email has one."""
    # A cheap early answer; the store's unique key settles concurrent registrations of one email.
    if await log.find_by_idempotency_key(email_key(command.email), exhaustive=False) is not None:
        raise AlreadyExists(EMAIL_TAKEN)
    password_hash = await hash_password(command.password, rounds=bcrypt_rounds)
    new = register_user(command, user_id=new_id(), password_hash=password_hash, correlation_id=correlation_id)
    # The email key stays quick to find for every login, however long the log grows.
    result = await recorder.record(new, expected_version=0)
    if not result.created:
        raise AlreadyExists(EMAIL_TAKEN)
    data = result.event.decode()
    assert isinstance(data, UserRegistered)
    directory.add(data.user_id)
    return data


async def authenticate(command: LogIn, *, log: EventLog, sessions: Sessions) -> UserRegistered | None:
    """The account whose email and current password these are; None otherwise, after as much work either way."""
    # Not exhaustive: an unknown email must not cost a read of the whole log (the index knows every account).
    registered: Envelope | None = await log.find_by_idempotency_key(email_key(command.email), exhaustive=False)
    if registered is None:
        await check_password_against_nothing(command.password)
        return None
    if not await check_password(command.password, await sessions.password_hash(registered)):
        return None
    data = registered.decode()
    assert isinstance(data, UserRegistered)
    return data

"""Revocations in memory: which tokens a session event ends, in any order, and for how long it is remembered."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared.auth import InvalidToken, TokenClaims, create_token, decode_access_token, decode_token
from shared.events import AllSessionsEnded, Envelope, EventData, SessionEnded, now
from shared.sessions import Revocations

SECRET = "s" * 40


def _claims(user: str = "u1", session: str = "s1", generation: int = 0) -> TokenClaims:
    at = datetime.now(UTC)
    return TokenClaims(user, "jti", at, at + timedelta(minutes=15), session, generation)


def _event(data: EventData, *, age: timedelta = timedelta(0), position: int = 1) -> Envelope:
    return Envelope(
        id=f"e{position}",
        type=data.event_type,
        schema=data.schema_version,
        stream=f"sessions:{data.model_dump()['user_id']}",
        stream_version=position,
        position=position,
        occurred_at=now() - age,
        actor_id=None,
        correlation_id=None,
        causation_id=None,
        data=data.model_dump(mode="python"),
    )


def test_logout_ends_only_that_session() -> None:
    revocations = Revocations(remember_seconds=900)
    revocations.apply(_event(SessionEnded(user_id="u1", session_id="s1", reason="logout")))
    assert revocations.ended(_claims(session="s1"))
    assert not revocations.ended(_claims(session="s2"))


def test_everywhere_ends_older_generations_but_the_kept_session() -> None:
    revocations = Revocations(remember_seconds=900)
    revocations.apply(
        _event(AllSessionsEnded(user_id="u1", generation=1, kept_session_id="s1", reason="password_changed"))
    )
    assert not revocations.ended(_claims(session="s1", generation=0))
    assert revocations.ended(_claims(session="s2", generation=0))
    assert not revocations.ended(_claims(session="s3", generation=1))
    assert not revocations.ended(_claims(user="u2", session="s2", generation=0))
    # A later "log out everywhere" keeps nobody; an older event arriving late changes nothing.
    revocations.apply(_event(AllSessionsEnded(user_id="u1", generation=2, reason="logout_everywhere"), position=2))
    revocations.apply(
        _event(AllSessionsEnded(user_id="u1", generation=1, kept_session_id="s1", reason="password_changed"))
    )
    assert revocations.ended(_claims(session="s1", generation=1))
    assert not revocations.ended(_claims(session="s4", generation=2))


def test_events_older_than_a_token_lifetime_are_not_kept() -> None:
    revocations = Revocations(remember_seconds=60)
    revocations.apply(_event(SessionEnded(user_id="u1", session_id="s1", reason="logout"), age=timedelta(minutes=2)))
    assert not revocations.ended(_claims(session="s1"))


def test_refresh_tokens_are_not_access_tokens() -> None:
    refresh = create_token("u1", secret=SECRET, ttl_seconds=60, kind="refresh")
    with pytest.raises(InvalidToken):
        decode_access_token(refresh, secret=SECRET)
    claims = decode_token(refresh, secret=SECRET, kind="refresh")
    assert claims.user_id == "u1" and claims.generation == 0 and claims.session_id

"""Ending sessions and changing passwords: the events in the log, and the command side's own stored state.

The log says what happened (``SessionEnded``, ``AllSessionsEnded`` on ``sessions:<user>``, ``PasswordChanged`` on
``credentials:<user>``); every process learns it from the bus (shared/sessions.py). The command side also keeps
what a login and a token renewal must know for longer than an access token lives, in documents read by ``_id``
only (FerretDB scans the collection for any other filter): ``user:<id>`` holds the current generation, the kept
session and the current password hash; ``ended:<session id>`` marks a logged-out session. A renewal reads two of
them; a request reads none.

The event is appended first, then the document written: the log stays the truth. Two concurrent "log out
everywhere" of one user may leave the document with the lower of two generations; every process's memory keeps
the higher one for as long as an access token lives, and a renewal takes the higher of the two.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from command_api.recorder import Recorder
from shared.auth import TokenClaims
from shared.events import (
    AllSessionsEnded,
    AllSessionsEndedReason,
    Envelope,
    NewEvent,
    PasswordChanged,
    SessionEnded,
    UserRegistered,
    now,
)
from shared.sessions import Revocations
from shared.streams import credentials_stream, sessions_stream

COLLECTION = "auth_state"


def state_id(user_id: str) -> str:
    """The ``_id`` of a user's session state (generation, kept session, password hash)."""
    return f"user:{user_id}"


@dataclass(frozen=True, slots=True)
class UserAuthState:
    generation: int = 0
    kept_session_id: str | None = None
    password_hash: str | None = None  # None: the one given at registration


class Sessions:
    def __init__(self, db: AsyncDatabase[dict[str, Any]], recorder: Recorder, revocations: Revocations) -> None:
        self.state = db[COLLECTION]
        self.recorder = recorder
        self.revocations = revocations

    async def user_state(self, user_id: str) -> UserAuthState:
        doc = await self.state.find_one({"_id": state_id(user_id)})
        stored = (
            UserAuthState(int(doc["generation"]), doc.get("kept_session_id"), doc.get("password_hash"))
            if doc
            else UserAuthState()
        )
        known = self.revocations.cutoff(user_id)
        if known is not None and known.generation > stored.generation:
            # This process heard of a newer cut-off than the document shows (a concurrent writer's).
            return UserAuthState(known.generation, known.kept_session_id, stored.password_hash)
        return stored

    async def password_hash(self, registered: Envelope) -> str:
        """The account's current password hash: the latest change, else the one given at registration."""
        data = registered.decode()
        assert isinstance(data, UserRegistered)
        state = await self.user_state(data.user_id)
        return state.password_hash or data.password_hash

    async def renewable(self, claims: TokenClaims) -> int | None:
        """The generation to renew a session's tokens at, or None when the session has ended."""
        if self.revocations.ended(claims):
            return None
        if await self.state.find_one({"_id": f"ended:{claims.session_id}"}, projection={"_id": 1}) is not None:
            return None
        state = await self.user_state(claims.user_id)
        if claims.generation < state.generation and claims.session_id != state.kept_session_id:
            return None
        return max(claims.generation, state.generation)

    async def end_session(self, claims: TokenClaims, *, correlation_id: str | None) -> None:
        """Log out one session: its tokens stop working here at once, elsewhere as soon as the bus tells."""
        data = SessionEnded(user_id=claims.user_id, session_id=claims.session_id, reason="logout")
        await self._record(claims.user_id, data, correlation_id)
        await self.state.replace_one(
            {"_id": f"ended:{claims.session_id}"},
            {"_id": f"ended:{claims.session_id}", "user_id": claims.user_id, "at": now()},
            upsert=True,
        )

    async def end_all(
        self,
        user_id: str,
        *,
        reason: AllSessionsEndedReason,
        kept_session_id: str | None,
        correlation_id: str | None,
        password_hash: str | None = None,
    ) -> int:
        """End every session of the user (but ``kept_session_id``); returns the new generation."""
        state = await self.user_state(user_id)
        generation = state.generation + 1
        data = AllSessionsEnded(user_id=user_id, generation=generation, kept_session_id=kept_session_id, reason=reason)
        await self._record(user_id, data, correlation_id)
        doc: dict[str, Any] = {
            "_id": state_id(user_id),
            "generation": generation,
            "kept_session_id": kept_session_id,
            "password_hash": password_hash or state.password_hash,
        }
        await self.state.replace_one({"_id": doc["_id"]}, doc, upsert=True)
        return generation

    async def change_password(self, claims: TokenClaims, password_hash: str, *, correlation_id: str | None) -> None:
        """Record the new password, then end every other session of the user."""
        await self.recorder.record_next(
            credentials_stream(claims.user_id),
            lambda _version: NewEvent(
                stream=credentials_stream(claims.user_id),
                data=PasswordChanged(user_id=claims.user_id, password_hash=password_hash),
                actor_id=claims.user_id,
                correlation_id=correlation_id,
            ),
        )
        await self.end_all(
            claims.user_id,
            reason="password_changed",
            kept_session_id=claims.session_id,
            correlation_id=correlation_id,
            password_hash=password_hash,
        )

    async def _record(self, user_id: str, data: SessionEnded | AllSessionsEnded, correlation_id: str | None) -> None:
        stream = sessions_stream(user_id)
        result = await self.recorder.record_next(
            stream,
            lambda _version: NewEvent(stream=stream, data=data, actor_id=user_id, correlation_id=correlation_id),
        )
        # This instance stops accepting the tokens before it answers; the others hear it from the bus.
        self.revocations.apply(result.event)

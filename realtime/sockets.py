"""Which token each socket holds, and ending sockets whose session ends or whose token expires.

A socket is admitted with a live access token (shared/sessions.py says whether its session has ended) and while
its user holds fewer than ``max_sockets_per_user`` sockets on this node. It stays only as long as a live token: the
client sends ``renew`` with each new access token; a socket whose token expires, or whose session ends (a logout
anywhere, heard on the bus), hears ``session_ended`` and is disconnected at once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

import socketio

from shared.auth import InvalidToken, TokenClaims, decode_access_token
from shared.events import AllSessionsEnded, EventData, SessionEnded
from shared.schemas import SessionEndedOut, socket_payload
from shared.sessions import Revocations

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Held:
    claims: TokenClaims
    expiry: asyncio.TimerHandle | None = None


class SocketRefused(Exception):
    """The reason a socket is not admitted, told to the client as the connect error's message."""


class SocketSessions:
    def __init__(
        self, sio: socketio.AsyncServer, revocations: Revocations, *, secret: str, max_sockets_per_user: int
    ) -> None:
        self.sio = sio
        self.revocations = revocations
        self.secret = secret
        self.max_sockets_per_user = max_sockets_per_user
        self._held: dict[str, Held] = {}  # socket id -> what it holds
        self._by_user: dict[str, set[str]] = {}
        revocations.listeners.append(self._on_session_event)

    def check(self, token: Any) -> TokenClaims:
        """The claims of a live access token; ``SocketRefused`` otherwise."""
        if not isinstance(token, str) or not token:
            raise SocketRefused("unauthorized")
        try:
            claims = decode_access_token(token, secret=self.secret)
        except InvalidToken:
            raise SocketRefused("unauthorized") from None
        if self.revocations.ended(claims):
            raise SocketRefused("session ended")
        return claims

    def admit(self, sid: str, claims: TokenClaims) -> None:
        held = self._by_user.setdefault(claims.user_id, set())
        if len(held) >= self.max_sockets_per_user:
            if not held:
                del self._by_user[claims.user_id]
            raise SocketRefused(f"too many connections: at most {self.max_sockets_per_user} per user")
        held.add(sid)
        self._held[sid] = Held(claims)
        self._schedule_expiry(sid)

    def renew(self, sid: str, token: Any) -> TokenClaims:
        """Replace the socket's token with a newer one of the same user."""
        held = self._held.get(sid)
        if held is None:
            raise SocketRefused("unauthorized")
        claims = self.check(token)
        if claims.user_id != held.claims.user_id:
            raise SocketRefused("a token of another user")
        held.claims = claims
        self._schedule_expiry(sid)
        return claims

    def user_of(self, sid: str) -> str | None:
        """The user of a socket whose session is live; None (and the socket ended) otherwise. Every socket event
        asks this first: a memory lookup."""
        held = self._held.get(sid)
        if held is None:
            return None
        if self.revocations.ended(held.claims) or held.claims.expires_at.timestamp() <= time.time():
            self._end(sid, "session ended")
            return None
        return held.claims.user_id

    def forget(self, sid: str) -> None:
        held = self._held.pop(sid, None)
        if held is None:
            return
        if held.expiry is not None:
            held.expiry.cancel()
        sockets = self._by_user.get(held.claims.user_id)
        if sockets is not None:
            sockets.discard(sid)
            if not sockets:
                del self._by_user[held.claims.user_id]

    def _schedule_expiry(self, sid: str) -> None:
        held = self._held[sid]
        if held.expiry is not None:
            held.expiry.cancel()
        delay = max(0.0, held.claims.expires_at.timestamp() - time.time())
        held.expiry = asyncio.get_running_loop().call_later(delay, self._end, sid, "token expired")

    def _on_session_event(self, data: EventData) -> None:
        if not isinstance(data, SessionEnded | AllSessionsEnded):
            return
        for sid in list(self._by_user.get(data.user_id, ())):
            held = self._held.get(sid)
            if held is not None and self.revocations.ended(held.claims):
                self._end(sid, "session ended")

    def _end(self, sid: str, reason: str) -> None:
        if sid not in self._held:
            return
        self.forget(sid)
        task = asyncio.get_running_loop().create_task(self._disconnect(sid, reason))
        task.add_done_callback(_log_failure)

    async def _disconnect(self, sid: str, reason: str) -> None:
        # Told first, so the client knows not to reconnect with the same token; then cut off.
        await self.sio.emit("session_ended", socket_payload(SessionEndedOut(reason=reason)), to=sid)
        await self.sio.disconnect(sid)
        log.info("socket ended", extra={"sid": sid, "reason": reason})


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("ending a socket failed", exc_info=task.exception())

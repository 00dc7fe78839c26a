"""Socket lifecycle: a socket connects only with a live access token; each user's sockets share a room. A socket
names the people whose presence it shows (``watch_presence``); until it does, it hears about everyone."""

from __future__ import annotations

import logging
from typing import Any

import socketio

from realtime.presence import PresenceReporter
from realtime.presence_audience import EVERYONE_ROOM, PresenceAudience
from realtime.sockets import SocketRefused, SocketSessions
from shared.signals import MAX_USER_ID

log = logging.getLogger(__name__)


def user_room(user_id: str) -> str:
    return f"user:{user_id}"


def register_connection_handlers(
    sio: socketio.AsyncServer, sockets: SocketSessions, presence: PresenceReporter, audience: PresenceAudience
) -> None:
    async def connect(sid: str, environ: dict[str, Any], auth: Any) -> None:
        try:
            claims = sockets.check(auth.get("token") if isinstance(auth, dict) else None)
            sockets.admit(sid, claims)
        except SocketRefused as refused:
            raise socketio.exceptions.ConnectionRefusedError(str(refused)) from None
        await sio.save_session(sid, {"user_id": claims.user_id})
        await sio.enter_room(sid, user_room(claims.user_id))
        await sio.enter_room(sid, EVERYONE_ROOM)  # until it names the people it shows
        presence.connected(claims.user_id, sid)
        log.info("socket connected", extra={"sid": sid, "user_id": claims.user_id})

    async def renew(sid: str, data: Any) -> dict[str, Any]:
        """The client hands over its renewed access token; the socket then lives as long as that one."""
        try:
            claims = sockets.renew(sid, data.get("token") if isinstance(data, dict) else None)
        except SocketRefused as refused:
            return {"ok": False, "error": str(refused)}
        return {"ok": True, "expires_at": claims.expires_at.isoformat()}

    async def watch_presence(sid: str, data: Any = None) -> dict[str, Any]:
        """The people whose presence this socket shows (replacing those it named before): it hears only about
        them from now on, or about everyone when it names more than the node allows."""
        if sockets.user_of(sid) is None:
            return {"ok": False, "error": "unauthorized"}
        user_ids = data.get("user_ids") if isinstance(data, dict) else None
        if not isinstance(user_ids, list) or not all(
            isinstance(u, str) and 0 < len(u) <= MAX_USER_ID for u in user_ids
        ):
            return {"ok": False, "error": "user_ids must be a list of user ids"}
        if audience.watch(sid, user_ids):
            await sio.leave_room(sid, EVERYONE_ROOM)
            return {"ok": True, "everyone": False}
        await sio.enter_room(sid, EVERYONE_ROOM)
        return {"ok": True, "everyone": True}

    async def disconnect(sid: str, reason: Any = None) -> None:
        sockets.forget(sid)
        audience.forget(sid)
        session = await sio.get_session(sid)
        if session.get("user_id"):
            presence.disconnected(session["user_id"], sid)
        log.info("socket disconnected", extra={"sid": sid, "reason": str(reason)})

    sio.on("connect", connect)
    sio.on("renew", renew)
    sio.on("watch_presence", watch_presence)
    sio.on("disconnect", disconnect)

"""Socket lifecycle: a socket connects only with a valid access token; each user's sockets share a room."""

from __future__ import annotations

import logging
from typing import Any

import socketio

from realtime.presence import PresenceReporter
from shared.auth import InvalidToken, decode_access_token
from shared.settings import Settings

log = logging.getLogger(__name__)


def user_room(user_id: str) -> str:
    return f"user:{user_id}"


def register_connection_handlers(sio: socketio.AsyncServer, settings: Settings, presence: PresenceReporter) -> None:
    secret = settings.jwt_secret.get_secret_value()

    async def connect(sid: str, environ: dict[str, Any], auth: Any) -> None:
        token = auth.get("token") if isinstance(auth, dict) else None
        if not isinstance(token, str) or not token:
            raise socketio.exceptions.ConnectionRefusedError("unauthorized")
        try:
            claims = decode_access_token(token, secret=secret)
        except InvalidToken:
            raise socketio.exceptions.ConnectionRefusedError("unauthorized") from None
        await sio.save_session(sid, {"user_id": claims.user_id})
        await sio.enter_room(sid, user_room(claims.user_id))
        presence.connected(claims.user_id, sid)
        log.info("socket connected", extra={"sid": sid, "user_id": claims.user_id})

    async def disconnect(sid: str, reason: Any = None) -> None:
        session = await sio.get_session(sid)
        if session.get("user_id"):
            presence.disconnected(session["user_id"], sid)
        log.info("socket disconnected", extra={"sid": sid, "reason": str(reason)})

    sio.on("connect", connect)
    sio.on("disconnect", disconnect)

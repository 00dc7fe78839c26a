"""Typing indicators: throttled, relayed to the peer's sockets on every node over plain NATS, never stored."""

from __future__ import annotations

import logging
import time
from typing import Any

import orjson
import socketio
from nats.aio.msg import Msg

from realtime.connections import user_room
from shared.bus import Bus, BusUnavailable

log = logging.getLogger(__name__)

# One relayed typing signal per sender and peer per this many seconds; the client shows it for a few seconds.
TYPING_INTERVAL_SECONDS = 1.0
_MAX_TRACKED = 50_000
SIGNAL = "typing"


class TypingRelay:
    def __init__(self, sio: socketio.AsyncServer, bus: Bus) -> None:
        self.sio = sio
        self.bus = bus
        self._last_relayed: dict[tuple[str, str], float] = {}
        sio.on("typing", self.on_typing)

    async def on_typing(self, sid: str, data: Any) -> None:
        """A client says its user is typing to ``data["to"]``."""
        to = data.get("to") if isinstance(data, dict) else None
        if not isinstance(to, str) or not 0 < len(to) <= 64:
            return
        session = await self.sio.get_session(sid)
        sender = session.get("user_id")
        if not sender or sender == to:
            return
        key, current = (sender, to), time.monotonic()
        if current - self._last_relayed.get(key, 0.0) < TYPING_INTERVAL_SECONDS:
            return
        if len(self._last_relayed) >= _MAX_TRACKED:
            self._last_relayed.clear()
        self._last_relayed[key] = current
        try:
            await self.bus.signal(SIGNAL, orjson.dumps({"from": sender, "to": to}))
        except BusUnavailable:
            log.debug("typing signal dropped: NATS down")

    async def on_signal(self, msg: Msg) -> None:
        """Every node gets every typing signal and tells the peer's sockets it has."""
        try:
            signal = orjson.loads(msg.data)
            sender, to = str(signal["from"]), str(signal["to"])
        except (ValueError, KeyError, TypeError):
            return
        await self.sio.emit("typing", {"from": sender}, room=user_room(to))

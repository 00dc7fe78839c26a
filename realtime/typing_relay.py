"""Typing indicators: relayed to the peer's sockets on every node over plain NATS, never stored.

Only towards someone the sender may talk to (an existing user other than themselves), at most one signal per
sender and peer per ``TYPING_INTERVAL_SECONDS``, and a per-sender budget across all peers (a token bucket), so a
client cannot make every node emit for it as fast as it can send.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import socketio
from nats.aio.msg import Msg
from pydantic import ValidationError

from realtime.connections import user_room
from realtime.directory import KnownUsers
from realtime.sockets import SocketSessions
from shared.bus import Bus, BusUnavailable
from shared.schemas import TypingOut, socket_payload
from shared.signals import TYPING, TypingSignal

log = logging.getLogger(__name__)

# One relayed typing signal per sender and peer per this many seconds; the client shows it for a few seconds.
TYPING_INTERVAL_SECONDS = 1.0
_MAX_TRACKED = 50_000


class TypingRelay:
    def __init__(
        self,
        sio: socketio.AsyncServer,
        bus: Bus,
        sockets: SocketSessions,
        users: KnownUsers,
        *,
        rate: float = 2.0,
        burst: float = 5.0,
    ) -> None:
        self.sio = sio
        self.bus = bus
        self.sockets = sockets
        self.users = users
        self.rate = rate
        self.burst = burst
        self._last_relayed: dict[tuple[str, str], float] = {}
        self._budgets: dict[str, tuple[float, float]] = {}  # sender -> (tokens, updated)
        sio.on("typing", self.on_typing)

    async def on_typing(self, sid: str, data: Any) -> None:
        """A client says its user is typing to ``data["to"]``."""
        to = data.get("to") if isinstance(data, dict) else None
        if not isinstance(to, str) or not 0 < len(to) <= 64:
            return
        sender = self.sockets.user_of(sid)
        if not sender or sender == to:
            return
        key, current = (sender, to), time.monotonic()
        if current - self._last_relayed.get(key, 0.0) < TYPING_INTERVAL_SECONDS:
            return
        if not self._take(sender, current):
            return
        if len(self._last_relayed) >= _MAX_TRACKED:
            self._last_relayed.clear()
        self._last_relayed[key] = current
        if not await self.users.exists(to):
            return
        try:
            await self.bus.signal(
                TYPING, TypingSignal.model_validate({"from": sender, "to": to}).model_dump_json(by_alias=True).encode()
            )
        except BusUnavailable:
            log.debug("typing signal dropped: NATS down")

    def _take(self, sender: str, current: float) -> bool:
        tokens, updated = self._budgets.get(sender, (self.burst, current))
        tokens = min(self.burst, tokens + (current - updated) * self.rate)
        if tokens < 1:
            self._budgets[sender] = (tokens, current)
            return False
        if len(self._budgets) >= _MAX_TRACKED and sender not in self._budgets:
            self._budgets.clear()  # forgetting budgets only ever allows more
        self._budgets[sender] = (tokens - 1, current)
        return True

    async def on_signal(self, msg: Msg) -> None:
        """Every node gets every typing signal and tells the peer's sockets it has."""
        try:
            signal = TypingSignal.model_validate_json(msg.data)
        except ValidationError:
            return
        await self.sio.emit(
            "typing", socket_payload(TypingOut.model_validate({"from": signal.sender})), room=user_room(signal.to)
        )

"""Presence pushes, gathered: changes arriving within a short window go out together, one ``presence`` packet
when the window holds a single change (the usual case: someone comes or goes), one ``presences`` packet with the
list when it holds several. A person's later change in a window replaces their earlier one; clients only need the
latest state. Each socket hears only about the people it watches (realtime/presence_audience.py), or about
everyone if it named nobody: a storm of N people connecting is not N² changes written to sockets.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import socketio

from realtime.presence_audience import EVERYONE_ROOM, PresenceAudience
from shared.lru import Lru

log = logging.getLogger(__name__)


class PresencePush:
    def __init__(
        self,
        sio: socketio.AsyncServer,
        audience: PresenceAudience,
        *,
        window_seconds: float = 0.1,
        newcomer_seconds: float = 10.0,
    ) -> None:
        self.sio = sio
        self.audience = audience
        self.window = window_seconds
        # Someone who signed up this recently is pushed to every socket: clients learn of them from the `user` push
        # and can name them only after it, so their first coming online would reach nobody.
        self.newcomer_seconds = newcomer_seconds
        self._newcomers: Lru[str, float] = Lru(10_000)  # user -> loop time of their registration here
        self._waiting: dict[str, dict[str, Any]] = {}
        self._flush: asyncio.TimerHandle | None = None

    def newcomer(self, user_id: str) -> None:
        """Someone signed up: their presence goes to every socket for ``newcomer_seconds``."""
        self._newcomers.remember(user_id, asyncio.get_running_loop().time())

    def add(self, change: dict[str, Any]) -> None:
        """Queue ``{user_id, online, last_seen}`` for the next push."""
        self._waiting.pop(change["user_id"], None)  # keep arrival order of each person's latest change
        self._waiting[change["user_id"]] = change
        if self._flush is None:
            self._flush = asyncio.get_running_loop().call_later(self.window, self._start_push)

    def _start_push(self) -> None:
        self._flush = None
        changes, self._waiting = list(self._waiting.values()), {}
        task = asyncio.get_running_loop().create_task(self._push(changes))
        task.add_done_callback(_log_failure)

    async def _push(self, changes: list[dict[str, Any]]) -> None:
        since = asyncio.get_running_loop().time() - self.newcomer_seconds
        newcomers: list[dict[str, Any]] = []
        known: list[dict[str, Any]] = []
        for change in changes:
            (newcomers if self._newcomers.get(change["user_id"], since) > since else known).append(change)
        if newcomers:
            await self._emit(newcomers, None)  # every socket
        if known:
            await self._emit(known, EVERYONE_ROOM)
        # Sockets that watch the same of these changes share a packet, encoded once.
        for delivery in self.audience.deliveries([change["user_id"] for change in known]):
            await self._emit([known[i] for i in delivery.changes], list(delivery.sids))

    async def _emit(self, changes: list[dict[str, Any]], to: str | list[str] | None) -> None:
        if len(changes) == 1:
            await self.sio.emit("presence", changes[0], to=to)
        else:
            await self.sio.emit("presences", {"changes": changes}, to=to)


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("presence push failed", exc_info=task.exception())

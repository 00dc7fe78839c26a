"""``user`` pushes (a registration, a name or picture change), gathered: each goes to every socket, so a burst of
renames would be a burst of packets to everyone. Changes arriving within a short window go out together when it
closes, only the latest per user (fields merged, so a registration followed by a rename stays one full entry).
40 renames by one person in a second and a half become three or four pushes, not 40.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import socketio

log = logging.getLogger(__name__)


class UserPush:
    def __init__(self, sio: socketio.AsyncServer, *, window_seconds: float = 0.5) -> None:
        self.sio = sio
        self.window = window_seconds
        self._waiting: dict[str, dict[str, Any]] = {}
        self._flush: asyncio.TimerHandle | None = None

    def add(self, user: dict[str, Any]) -> None:
        """Queue a ``user`` payload (it has at least ``id``) for the next push."""
        self._waiting[user["id"]] = {**self._waiting.get(user["id"], {}), **user}
        if self._flush is None:
            self._flush = asyncio.get_running_loop().call_later(self.window, self._start_push)

    def _start_push(self) -> None:
        self._flush = None
        users, self._waiting = list(self._waiting.values()), {}
        task = asyncio.get_running_loop().create_task(self._push(users))
        task.add_done_callback(_log_failure)

    async def _push(self, users: list[dict[str, Any]]) -> None:
        for user in users:
            await self.sio.emit("user", user)


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("user push failed", exc_info=task.exception())

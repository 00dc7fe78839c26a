"""Presence pushes, gathered: every socket hears about every presence change, so a storm of N changes with N
people connected would be N² packets. Changes arriving within a short window go out together instead: one
``presence`` packet when the window holds a single change (the usual case: someone comes or goes), one
``presences`` packet with the list when it holds several. A person's later change in a window replaces their
earlier one; clients only need the latest state.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import socketio

log = logging.getLogger(__name__)


class PresencePush:
    def __init__(self, sio: socketio.AsyncServer, *, window_seconds: float = 0.1) -> None:
        self.sio = sio
        self.window = window_seconds
        self._waiting: dict[str, dict[str, Any]] = {}
        self._flush: asyncio.TimerHandle | None = None

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
        if len(changes) == 1:
            await self.sio.emit("presence", changes[0])
        else:
            await self.sio.emit("presences", {"changes": changes})


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("presence push failed", exc_info=task.exception())

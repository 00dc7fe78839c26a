"""Tells the command side which users this node holds sockets for: changes as they happen, and a heartbeat.

Changes (a user's first socket here, their last one gone) are gathered for a moment and sent as one report, so a
connect storm is a few messages, not one per socket. The heartbeat carries every user held here: it repairs any
report lost while NATS or the command side was away, and its absence tells the command side this node is gone.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict

from shared.bus import Bus, BusUnavailable
from shared.signals import PRESENCE, PresenceReport
from shared.waiting import stop_tasks

log = logging.getLogger(__name__)


class PresenceReporter:
    def __init__(self, bus: Bus, node_id: str, *, heartbeat_seconds: float, gather_seconds: float = 0.1) -> None:
        self.bus = bus
        self.node_id = node_id
        self.heartbeat_seconds = heartbeat_seconds
        self.gather_seconds = gather_seconds
        self.sockets: dict[str, set[str]] = defaultdict(set)  # user -> sids on this node
        self._up: set[str] = set()
        self._down: set[str] = set()
        self._changed = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._report_loop(), name="presence-report"),
            asyncio.create_task(self._heartbeat_loop(), name="presence-heartbeat"),
        ]

    async def stop(self) -> None:
        await stop_tasks(self._tasks)
        # A clean stop: everyone here goes down now rather than when the heartbeat is missed.
        await self._send(PresenceReport(node=self.node_id, users=[]))

    def connected(self, user_id: str, sid: str) -> None:
        first = not self.sockets[user_id]
        self.sockets[user_id].add(sid)
        if first:
            self._down.discard(user_id)
            self._up.add(user_id)
            self._changed.set()

    def disconnected(self, user_id: str, sid: str) -> None:
        held = self.sockets.get(user_id)
        if held is None:
            return
        held.discard(sid)
        if not held:
            del self.sockets[user_id]
            self._up.discard(user_id)
            self._down.add(user_id)
            self._changed.set()

    async def _report_loop(self) -> None:
        while True:
            await self._changed.wait()
            await asyncio.sleep(self.gather_seconds)
            self._changed.clear()
            up, down, self._up, self._down = self._up, self._down, set(), set()
            if up or down:
                await self._send(PresenceReport(node=self.node_id, up=sorted(up), down=sorted(down)))

    async def _heartbeat_loop(self) -> None:
        while True:
            await self._send(PresenceReport(node=self.node_id, users=sorted(self.sockets)))
            await asyncio.sleep(self.heartbeat_seconds)

    async def _send(self, report: PresenceReport) -> None:
        try:
            await self.bus.signal(PRESENCE, report.model_dump_json(exclude_defaults=True).encode())
        except BusUnavailable:
            log.debug("presence report not sent: NATS down (the next heartbeat repairs it)")

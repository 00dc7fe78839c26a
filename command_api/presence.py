"""The session registry: which users have sockets on which realtime node, and their presence transitions.

Realtime nodes report over plain NATS (subject ``<live prefix>.presence``, a queue group so one command API
instance takes each report): users coming up or going down on the node, and a heartbeat with every user the node
holds. The registry lives in MongoDB (``presence_sessions``: one document per node and user; ``presence_nodes``:
each node's last heartbeat), so every instance agrees; transitions are appended to ``presence:<user>`` streams,
whose versions settle races between instances.

- Going down waits a grace period before the user is declared offline, so a reload does not flash "offline".
- A node that stops heartbeating is expired after ``node_timeout``; its users go offline unless another node has
  them. The timeout counts only while this process can hear reports (from its start, and from NATS's return). A
  node that starts again under the same id replaces what it held (its first heartbeat is the truth).
- A connect storm costs a handful of queries per report batch, not per user, and appends at most one event per
  user that actually changes state.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from nats.aio.msg import Msg
from pydantic import ValidationError
from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

from command_api.handlers.presence import settle_presence
from command_api.recorder import Recorder
from shared.bus import Bus
from shared.event_log import EventLog
from shared.events import now
from shared.mongo import delete_by_id, find_by_id, insert_new
from shared.signals import PRESENCE, PresenceReport
from shared.streams import presence_stream
from shared.waiting import stop_tasks

log = logging.getLogger(__name__)

QUEUE_GROUP = "presence-registry"


class PresenceRegistry:
    def __init__(
        self,
        db: AsyncDatabase[dict[str, Any]],
        store: EventLog,
        recorder: Recorder,
        bus: Bus,
        *,
        grace_seconds: float,
        node_timeout_seconds: float,
        clock: Callable[[], float] | None = None,
        wall_clock: Callable[[], datetime] = now,
    ) -> None:
        self.sessions = db["presence_sessions"]
        self.nodes = db["presence_nodes"]
        self.store = store
        self.recorder = recorder
        self.bus = bus
        self.grace = grace_seconds
        self.node_timeout = timedelta(seconds=node_timeout_seconds)
        # Seconds, for the grace periods and for when a node was last heard (the event loop's clock by default),
        # and the time written to the registry's documents; tests drive both.
        self.clock = clock or (lambda: asyncio.get_running_loop().time())
        self.wall_clock = wall_clock
        self._reports: asyncio.Queue[PresenceReport] = asyncio.Queue()
        self._due: dict[str, float] = {}  # user -> loop time at which to check for "offline"
        # node -> loop time its last report arrived here, even if still queued: a node whose heartbeat waits
        # behind a storm of reports is not expired for it.
        self._heard: dict[str, float] = {}
        # Loop time since when this process has been subscribed to the reports (None: not yet). A node is expired
        # only after a full timeout in which this process could have heard it: right after a start, or a NATS
        # outage, a heartbeat on record is old because nobody was listening, not because the node is gone.
        self._listening_since: float | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._subscribed = False
        bus.on_ready.append(self._subscribe)

    async def start(self) -> None:
        await self.sessions.create_index([("user", ASCENDING)], name="user")
        self._tasks = [
            asyncio.create_task(self._report_loop(), name="presence-reports"),
            asyncio.create_task(self._sweep_loop(), name="presence-sweep"),
        ]

    async def stop(self) -> None:
        await stop_tasks(self._tasks)

    async def _subscribe(self) -> None:
        # Called each time the bus is ready: the client renews the subscription itself after a reconnect.
        if not self._subscribed:
            self._subscribed = True
            await self.bus.subscribe_signals(PRESENCE, self._on_report, queue=QUEUE_GROUP)
        self._listening_since = self.clock()

    async def _on_report(self, msg: Msg) -> None:
        try:
            report = PresenceReport.model_validate_json(msg.data)
        except ValidationError:
            log.warning("malformed presence report dropped")
            return
        self._heard[report.node] = self.clock()
        await self._reports.put(report)

    async def _report_loop(self) -> None:
        # One report at a time in this process: the registry's read-decide-write steps never interleave here.
        while True:
            report = await self._reports.get()
            try:
                await self.apply_report(report)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("presence report failed", extra={"node": report.node})

    async def apply_report(self, report: PresenceReport) -> None:
        node = report.node
        at = self.wall_clock()
        await self.nodes.replace_one({"_id": node}, {"_id": node, "seen_at": at}, upsert=True)
        if report.is_heartbeat:  # a heartbeat: the node's full list replaces what we held for it
            held = {doc["user"] async for doc in self.sessions.find({"node": node})}
            now_there = set(report.users or ())
            up, down = now_there - held, held - now_there
        else:
            up, down = set(report.up) - set(report.down), set(report.down) - set(report.up)
        for user in up:
            self._due.pop(user, None)
        if up:
            # A session already there (a repeated report) is the same document: kept, not deleted and written again
            # (deletes by _id cost FerretDB as much as inserts: a storm's 5,000 ups were 1.5 s more).
            await insert_new(self.sessions, [{"_id": _session_id(node, u), "node": node, "user": u} for u in up])
            await self.settle(up)
        if down:
            await delete_by_id(self.sessions, [_session_id(node, u) for u in down])
            deadline = self.clock() + self.grace
            for user in down:
                self._due[user] = deadline

    async def settle(self, users: Iterable[str], *, expired: bool = False) -> None:
        """Append a transition for each user whose state differs from whether they have sessions (``expired``:
        their node stopped reporting)."""
        users = list(dict.fromkeys(users))
        if not users:
            return
        # By _id: a session's id is its node and user, and the nodes are few (a filter on "user" would read every
        # session of every node on FerretDB, each report of a connect storm again). A session is written after its
        # node's document and deleted before it, so every session's node is among these.
        nodes = [doc["_id"] async for doc in self.nodes.find({}, projection={"_id": 1})]
        found = await find_by_id(self.sessions, [_session_id(node, user) for node in nodes for user in users])
        connected = {doc["user"] for doc in found.values()}
        at = self.wall_clock()
        # Every user's current state in a few reads for the lot (a storm settles thousands at once).
        heads = await self.store.last_events([presence_stream(user) for user in users])
        # Each user has a stream of their own: the appends go together (the store writes them as one group).
        await asyncio.gather(
            *(
                settle_presence(
                    user,
                    has_sessions=user in connected,
                    at=at,
                    expired=expired,
                    log=self.store,
                    recorder=self.recorder,
                    head=heads[presence_stream(user)],
                )
                for user in users
            )
        )

    async def _sweep_loop(self) -> None:
        while True:
            await asyncio.sleep(min(1.0, self.grace / 2 or 1.0))
            try:
                await self.sweep()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("presence sweep failed")

    async def sweep(self) -> None:
        """Expire silent nodes, and declare offline the users whose grace period ran out."""
        heard_since = self.clock() - self.node_timeout.total_seconds()
        listening = self.bus.ready and self._listening_since is not None and self._listening_since < heard_since
        stale = (
            [
                doc["_id"]
                async for doc in self.nodes.find({"seen_at": {"$lt": self.wall_clock() - self.node_timeout}})
                if self._heard.get(doc["_id"], 0.0) < heard_since
            ]
            if listening
            else []
        )
        if stale:
            orphaned = {doc["user"] async for doc in self.sessions.find({"node": {"$in": stale}})}
            await self.sessions.delete_many({"node": {"$in": stale}})
            await self.nodes.delete_many({"_id": {"$in": stale}})
            for node in stale:
                self._heard.pop(node, None)
            log.warning("realtime nodes expired", extra={"nodes": stale, "users": len(orphaned)})
            await self.settle(orphaned, expired=True)
        current = self.clock()
        due = [user for user, at in self._due.items() if at <= current]
        for user in due:
            del self._due[user]
        await self.settle(due)


def _session_id(node: str, user: str) -> str:
    return f"{node}|{user}"

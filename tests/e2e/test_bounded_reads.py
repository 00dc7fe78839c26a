"""A request reads the same bounded set of documents on a grown instance as on a new one.

FerretDB 1.24 on SQLite serves a query without reading the whole collection only when its filter is exactly one
``_id`` equality, or (scripts/ferretdb-patches/0003) one ``_id`` ``$in`` of strings; any other filter, range or
sort reads every document. So this test watches every command the
services send (a pymongo command listener around the command and query APIs, run in this process) while they
answer a history page, a sidebar page and a search, a catch-up, a first send after a restart and ``/api/me``, on
a log of a few thousand events and on one ten times larger: no command may filter a growing collection by
anything but ``_id`` values, and the number of commands must not grow with the instance. Counting, not timing.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pymongo import AsyncMongoClient, monitoring

from bench.replay import plan, write_log
from command_api.main import create_app as create_command_app
from command_api.settings import CommandSettings
from projector.rebuild import replay
from projector.registry import PROJECTIONS
from query_api.main import create_app as create_query_app
from query_api.settings import QuerySettings
from shared.auth import create_access_token
from shared.event_store import EventStore
from shared.events import MessageSent
from tests.support import Infra

# Collections that stay small whatever the age of the instance (entries deleted once done, or one per online
# person or node): reading them whole is fine.
BOUNDED_BY_DESIGN = {
    "outbox",  # a version before the published mark: read once at start, then dropped
    "presence_sessions",
    "presence_nodes",
    "login_failures",
    "view_catalog",
    "checkpoints",
    "parked_events",
}
_QUERIES = {"find", "update", "delete", "aggregate", "count", "distinct", "findAndModify"}


def _lone_id(query: Any) -> bool:
    return isinstance(query, dict) and list(query) == ["_id"] and not isinstance(query["_id"], dict)


def _ids(query: Any) -> bool:
    """One _id, or an _id ``$in`` of strings (what FerretDB serves from the _id index)."""
    if _lone_id(query):
        return True
    condition = query.get("_id") if isinstance(query, dict) and list(query) == ["_id"] else None
    return (
        isinstance(condition, dict)
        and list(condition) == ["$in"]
        and 0 < len(condition["$in"]) <= 1000
        and all(isinstance(v, str) for v in condition["$in"])
    )


def _reads_whole_collection(name: str, command: dict[str, Any]) -> bool:
    if name == "find":
        return not _ids(command.get("filter", {}))
    if name == "update":
        return not all(_lone_id(u["q"]) for u in command.get("updates", []))
    if name == "delete":
        return not all(_lone_id(d["q"]) for d in command.get("deletes", []))
    if name == "findAndModify":
        return not _lone_id(command.get("query", {}))
    return True  # aggregate, count, distinct


@dataclass
class Watch(monitoring.CommandListener):
    """Every query-like command sent while armed: (collection, command name, whether it reads everything)."""

    armed: bool = False
    seen: list[tuple[str, str, bool]] = field(default_factory=list)

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if not self.armed or event.command_name not in _QUERIES:
            return
        collection = str(event.command.get(event.command_name))
        self.seen.append((collection, event.command_name, _reads_whole_collection(event.command_name, event.command)))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass

    @property
    def scans(self) -> list[tuple[str, str]]:
        return [(c, n) for c, n, whole in self.seen if whole and c not in BOUNDED_BY_DESIGN]

    @property
    def reads(self) -> int:
        return sum(1 for c, _, _ in self.seen if c not in BOUNDED_BY_DESIGN)


WATCH = Watch()
monitoring.register(WATCH)


@dataclass
class Instance:
    db: str
    me: str
    peer: str
    others: list[str]
    head: int


async def grow(mongo: AsyncMongoClient[dict[str, Any]], events: int) -> Instance:
    """A log of ``events`` events in a plausible mix, its views rebuilt; the pair with the longest conversation."""
    db = f"bounded{events}_{uuid.uuid4().hex[:8]}"
    store = EventStore(mongo[db])
    await store.ensure_indexes()
    planned = plan(events, seed=7)
    await write_log(store, planned)
    await replay(store, mongo[f"{db}_views"], None, list(PROJECTIONS), drop_after=0)
    longest = max((e.data for e, _ in planned if isinstance(e.data, MessageSent)), key=lambda m: m.seq)
    users = [e.data.user_id for e, _ in planned if e.data.event_type == "UserRegistered"]  # type: ignore[attr-defined]
    return Instance(db, longest.sender_id, longest.receiver_id, users, await store.last_position())


@asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://parley.test") as client:
            yield client


def settings_env(infra: Infra, instance: Instance, secret: str) -> dict[str, Any]:
    return {
        "env": "test",
        "mongodb_url": infra.ferretdb.url,
        "mongodb_db": instance.db,
        "nats_url": infra.nats.url,
        "nats_stream": instance.db.upper(),
        "subject_prefix": f"{instance.db}.events",
        "live_subject_prefix": f"{instance.db}.live",
        "jwt_secret": secret,
        "media_dir": str(infra.workdir / f"{instance.db}-media"),
        "log_level": "WARNING",
    }


async def measure(call: Callable[[], Awaitable[httpx.Response]]) -> tuple[int, list[tuple[str, str]]]:
    WATCH.seen.clear()
    WATCH.armed = True
    try:
        response = await call()
    finally:
        WATCH.armed = False
    assert response.status_code < 300, response.text
    return WATCH.reads, WATCH.scans


async def requests_on(infra: Infra, instance: Instance) -> dict[str, tuple[int, list[tuple[str, str]]]]:
    secret = secrets.token_urlsafe(32)
    env = settings_env(infra, instance, secret)
    token = create_access_token(instance.me, secret=secret, ttl_seconds=600)
    auth = {"Authorization": f"Bearer {token}"}
    results: dict[str, tuple[int, list[tuple[str, str]]]] = {}
    async with serving(create_query_app(QuerySettings(**env))) as query:
        history = f"/api/conversations/{instance.peer}/messages"
        results["history, newest page"] = await measure(lambda: query.get(history, headers=auth))
        results["history, an older page"] = await measure(lambda: query.get(f"{history}?before=20", headers=auth))
        results["sidebar, first page"] = await measure(lambda: query.get("/api/users", headers=auth))
        results["sidebar, a search"] = await measure(lambda: query.get("/api/users?q=user", headers=auth))
        after = instance.head - 100
        results["catch-up, 100 events"] = await measure(lambda: query.get(f"/api/sync?after={after}", headers=auth))
        results["me"] = await measure(lambda: query.get("/api/me", headers=auth))
    async with serving(create_command_app(CommandSettings(**env))) as command:
        body = {"to": instance.peer, "type": "text", "text": "hello again", "client_msg_id": uuid.uuid4().hex}
        results["first send after a start"] = await measure(
            lambda: command.post("/api/messages", json=body, headers=auth)
        )
    return results


@pytest.mark.slow
@pytest.mark.timeout(900)
async def test_requests_read_a_bounded_set_of_documents_on_a_grown_instance(
    infra: Infra, mongo: AsyncMongoClient[dict[str, Any]]
) -> None:
    small = await requests_on(infra, await grow(mongo, 2_000))
    for request, (_, scans) in small.items():
        assert not scans, f"{request} reads whole collections: {scans}"
    grown = await requests_on(infra, await grow(mongo, 20_000))
    for request in grown:
        print(f"{request}: {small[request][0]} commands at 2,000 events, {grown[request][0]} at 20,000")
    for request, (reads, scans) in grown.items():
        assert not scans, f"{request} reads whole collections on a grown instance: {scans}"
        slack = 30 if request.startswith("sidebar") else 4  # the sidebar's first page is full only when grown
        assert reads <= small[request][0] + slack, (request, small, grown)
        assert reads <= 80, (request, reads)

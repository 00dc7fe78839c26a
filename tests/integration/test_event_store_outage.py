"""A group commit that failed for want of the database may still have been stored: the store indexes such events
from the log before its next commit, so a retry finds its event by key through the index, never by a scan of the
log (which on FerretDB reads every event: a stall that grows with the log after each database crash)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pymongo import AsyncMongoClient, monitoring
from pymongo.errors import ConnectionFailure

from shared.event_store import EventStore, position_id
from shared.events import NewEvent, PresenceChanged, new_id, now
from tests.support import FerretDB


class Filters(monitoring.CommandListener):
    """The filter of every command sent."""

    def __init__(self) -> None:
        self.seen: list[dict[str, Any]] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        self.seen.append(dict(event.command.get("filter") or {}))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


@pytest.fixture
def ferret(tmp_path: Path) -> Iterator[FerretDB]:
    server = FerretDB(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def online(user: str, key: str) -> NewEvent:
    data = PresenceChanged(user_id=user, online=True, last_seen=now(), reason="connected")
    return NewEvent(stream=f"presence:{user}", data=data, idempotency_key=key)


async def test_a_retry_after_a_failed_but_stored_commit_finds_its_event_through_the_index(ferret: FerretDB) -> None:
    filters = Filters()
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        ferret.url, serverSelectionTimeoutMS=300, connectTimeoutMS=300, event_listeners=[filters]
    )
    try:
        store = EventStore(client["log"])
        await store.ensure_indexes()
        await store.catch_up_index()
        first = (await store.append(online("u1", "cmd:1"), expected_version=0)).event

        ferret.stop()
        with pytest.raises(ConnectionFailure):
            await store.append(online("u2", "cmd:2"), expected_version=0)
        ferret.start()
        # What the failed commit may have done before the answer was lost: its event is in the log, unindexed.
        lost = await client["log"]["events"].find_one({"_id": position_id(first.position)})
        assert lost is not None
        lost.update(
            _id=position_id(first.position + 1),
            position=first.position + 1,
            event_id=new_id(),
            stream="presence:u2",
            idempotency_key="cmd:2",
            data={**lost["data"], "user_id": "u2"},
        )
        for _ in range(100):  # the client sees the database back after its next heartbeat
            try:
                await client["log"]["events"].insert_one(lost)
                break
            except ConnectionFailure:
                continue

        filters.seen.clear()
        retried = await store.append(online("u2", "cmd:2"), expected_version=0)
        assert not retried.created and retried.event.id == lost["event_id"]
        assert not [f for f in filters.seen if "idempotency_key" in f], "the retry scanned the log for its key"
        assert await store.index.key_position("cmd:2") == first.position + 1
    finally:
        await client.close()

"""The catch-up view against the real FerretDB: numbering in log order, gaps filled from the log, entries sealed in
buckets, and reading back from any cursor (the newest entries, or bisection for a client far behind)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest
from pymongo import AsyncMongoClient, monitoring

from projector.catchup import CatchupProjection
from query_api.routes.sync import _entries_after
from shared.event_store import EventStore
from shared.events import MessageSent, NewEvent, now
from shared.views import (
    CATCHUP,
    CATCHUP_BUCKET,
    CATCHUP_THROUGH,
    META_PREFIX,
    ViewCatalog,
    catchup_bucket_id,
    catchup_entry_id,
)
from tests.support import Infra


@pytest.fixture
async def dbs(mongo: AsyncMongoClient[dict[str, Any]], db_name: str) -> AsyncIterator[tuple[EventStore, ViewCatalog]]:
    store = EventStore(mongo[db_name])
    await store.ensure_indexes()
    catalog = ViewCatalog(mongo[f"{db_name}_views"])
    catalog.read_positions = store.at_positions
    yield store, catalog
    await mongo.drop_database(db_name)
    await mongo.drop_database(f"{db_name}_views")


async def send(store: EventStore, n: int, sender: str = "a", receiver: str = "b") -> list[int]:
    return [await send_one(store, tag, sender, receiver) for tag in range(1, n + 1)]


async def send_one(store: EventStore, tag: int, sender: str, receiver: str) -> int:
    """One message at the end of the conversation; ``tag`` names it (its ids)."""
    conversation = f"dm:{min(sender, receiver)}:{max(sender, receiver)}"
    data = MessageSent(
        message_id=f"m{sender}{tag}",
        conversation_id=conversation,
        seq=await store.stream_version(conversation) + 1,
        sender_id=sender,
        receiver_id=receiver,
        type="text",
        text=f"hello {tag}",
        client_msg_id=f"c{sender}{tag}",
        sent_at=now(),
    )
    new = NewEvent(stream=conversation, data=data, actor_id=sender)
    return (await store.append(new, expected_version=data.seq - 1)).event.position


async def test_entries_after_any_cursor_in_log_order(dbs: tuple[EventStore, ViewCatalog]) -> None:
    store, catalog = dbs
    positions = await send(store, 300)
    events = await store.at_positions(positions)
    projection = CatchupProjection(catalog)
    # Delivered out of order and with holes (filled from the log), in several batches, one of them twice.
    await projection.apply_batch(events[5:40])
    await projection.apply_batch(events[:10])
    await projection.apply_batch(events[40:])
    await projection.apply_batch(events[100:120])
    head = await catalog[CATCHUP].find_one({"_id": "b"})
    # The head's count is at most a stretch behind: written when the count passes a multiple of the stretch.
    assert head is not None and head["count"] == 300 - 300 % CATCHUP_BUCKET
    for counted in (head["count"], head["count"] - 40, 0, 299):  # a head behind: looked past, a stretch at a time
        for after, limit in ((0, 200), (positions[149], 200), (positions[-3], 200), (positions[-1], 50), (0, 40)):
            # `behind` only sizes the first read: right, short or far too long, the answer is the same.
            for behind in (positions[-1] - after, 0, 7, 10**6):
                got = await _entries_after(catalog[CATCHUP], "b", counted, after, limit, behind=behind)
                expected = [p for p in positions if p > after]
                assert [e["position"] for e in got] == expected[: limit + 1], (counted, after, limit, behind)


async def test_a_restarted_projector_counts_on_from_the_stored_entries(
    dbs: tuple[EventStore, ViewCatalog], monkeypatch: pytest.MonkeyPatch
) -> None:
    store, catalog = dbs
    total = 3 * CATCHUP_BUCKET + 5
    positions = await send(store, total)
    events = await store.at_positions(positions)
    await CatchupProjection(catalog).apply_batch(events[: CATCHUP_BUCKET + 1])
    # A crash after a batch's entries were written, before its buckets, heads and ~through: the events since are
    # applied again (overlapping what is stored), the count is found past the head, and the buckets are sealed.
    crashing = CatchupProjection(catalog)

    async def crash(*_: Any) -> None:
        raise ConnectionError("the projector died")

    monkeypatch.setattr(crashing, "_seal", crash)
    with pytest.raises(ConnectionError):
        await crashing.apply_batch(events[CATCHUP_BUCKET + 1 : 2 * CATCHUP_BUCKET + 3])
    assert (await catalog[CATCHUP].find_one({"_id": "b"}) or {}).get("count") == CATCHUP_BUCKET
    again = CatchupProjection(catalog)
    await again.apply_batch(events[CATCHUP_BUCKET - 3 :])
    got = await _entries_after(catalog[CATCHUP], "b", 0, 0, 200, behind=10**6)
    assert [e["position"] for e in got] == positions
    for bucket in range(total // CATCHUP_BUCKET):
        assert await catalog[CATCHUP].find_one({"_id": catchup_bucket_id("b", bucket)}) is not None, bucket
    loose = [d["number"] async for d in catalog[CATCHUP].find() if d.get("user") == "b" and "number" in d]
    assert sorted(loose) == list(range(total - total % CATCHUP_BUCKET, total))  # the sealed ones are gone
    head = await catalog[CATCHUP].find_one({"_id": "b"})
    assert head is not None and head["count"] == total - total % CATCHUP_BUCKET


async def test_entries_after_a_cursor_among_other_peoples_events(dbs: tuple[EventStore, ViewCatalog]) -> None:
    """Reading back is sized by how densely the user's entries fall among log positions: any density is right."""
    store, catalog = dbs
    mine: list[int] = []
    for round_ in range(1, 61):
        mine.append(await send_one(store, round_, "a", "b"))
        for other in range(round_ % 7):  # 0 to 6 events of others between two of mine
            await send_one(store, round_ * 10 + other, "c", "d")
    await CatchupProjection(catalog).apply_batch(await store.at_positions(range(1, mine[-1] + 1)))
    head = await catalog[CATCHUP].find_one({"_id": "b"})
    counted = head["count"] if head else 0
    for after in (0, mine[0], mine[10] + 1, mine[45], mine[-2], mine[-1], mine[-1] + 5):
        for limit in (5, 50, 200):
            for behind in (max(0, mine[-1] - after), 0, 10**6):
                got = await _entries_after(catalog[CATCHUP], "b", counted, after, limit, behind=behind)
                expected = [p for p in mine if p > after]
                assert [e["position"] for e in got] == expected[: limit + 1], (after, limit, behind)


async def view_documents(catalog: ViewCatalog) -> list[dict[str, Any]]:
    found = [d async for d in catalog[CATCHUP].find() if not str(d["_id"]).startswith(META_PREFIX)]
    return sorted(found, key=lambda d: str(d["_id"]))


@pytest.mark.parametrize(("batch", "held_max"), [(1000, 100_000), (5, 100_000), (5, 3)])
async def test_buckets_are_the_same_however_the_events_come(
    dbs: tuple[EventStore, ViewCatalog],
    mongo: AsyncMongoClient[dict[str, Any]],
    db_name: str,
    monkeypatch: pytest.MonkeyPatch,
    batch: int,
    held_max: int,
) -> None:
    """One event at a time (live) or in batches (a replay, holding entries in memory or writing them when it holds
    too many): the same entries, buckets and heads."""
    store, live = dbs
    positions = await send(store, 3 * CATCHUP_BUCKET + 7)
    events = await store.at_positions(positions)
    projection = CatchupProjection(live)
    for event in events:
        await projection.apply_batch([event])
    monkeypatch.setattr("projector.catchup._REBUILD_HELD_MAX", held_max)
    replayed = ViewCatalog(mongo[f"{db_name}_replayed"])
    rebuilt = CatchupProjection(replayed)
    rebuilt.begin_rebuild()
    for start in range(0, len(events), batch):
        await rebuilt.apply_batch(events[start : start + batch])
    await rebuilt.flush()
    try:
        assert await view_documents(live) == await view_documents(replayed)
        bucket = await live[CATCHUP].find_one({"_id": catchup_bucket_id("a", 2)})
        assert bucket is not None
        held = orjson.loads(bucket["entries"])
        assert [e["position"] for e in held] == positions[2 * CATCHUP_BUCKET : 3 * CATCHUP_BUCKET]
        assert held[0]["message"]["text"] == f"hello {2 * CATCHUP_BUCKET + 1}"
        assert await live[CATCHUP].find_one({"_id": catchup_bucket_id("a", 3)}) is None  # 7 entries: not sealed
        head = await live[CATCHUP].find_one({"_id": "a"})
        assert head is not None and head["count"] == 3 * CATCHUP_BUCKET
    finally:
        await mongo.drop_database(f"{db_name}_replayed")


class ReturnedDocuments(monitoring.CommandListener):
    """Counts the documents the database answers finds with (what FerretDB's cost follows), and the ids each
    ``_id`` ``$in`` find asks for."""

    def __init__(self) -> None:
        self.documents = 0
        self.asked: list[int] = []
        self.returned: list[str] = []  # their ids

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name == "find":
            wanted = event.command.get("filter", {}).get("_id")
            if isinstance(wanted, dict) and "$in" in wanted:
                self.asked.append(len(wanted["$in"]))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        if event.command_name in ("find", "getMore"):
            cursor = event.reply["cursor"]
            batch = cursor.get("firstBatch", cursor.get("nextBatch", []))
            self.documents += len(batch)
            self.returned += [str(doc["_id"]) for doc in batch]

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


async def test_a_catch_up_reads_buckets_not_entries(
    dbs: tuple[EventStore, ViewCatalog], infra: Infra, db_name: str
) -> None:
    store, catalog = dbs
    positions = await send(store, 300)
    await CatchupProjection(catalog).apply_batch(await store.at_positions(positions))
    head = await catalog[CATCHUP].find_one({"_id": "b"})
    assert head is not None
    counter = ReturnedDocuments()
    watched: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(infra.ferretdb.url, event_listeners=[counter])
    try:
        entries = watched[f"{db_name}_views"][CATCHUP]
        got = await _entries_after(entries, "b", head["count"], positions[-101], 200, behind=100)
        assert [e["position"] for e in got] == positions[-100:]
        # 100 entries: the buckets below the head (7 at most) and the entries past it (fewer than a bucket).
        assert counter.documents <= 100 // CATCHUP_BUCKET + 2 + CATCHUP_BUCKET, counter.documents
    finally:
        await watched.close()


async def test_a_restarted_projector_learns_a_sealed_user_from_the_head_alone(
    dbs: tuple[EventStore, ViewCatalog], infra: Infra, db_name: str
) -> None:
    """The head keeps the position of its last sealed entry: a user not in memory whose entries are all sealed is
    learnt without reading their newest bucket (a whole run of packed messages), and an event applied again is
    still told apart from a new one."""
    store, catalog = dbs
    positions = await send(store, 2 * CATCHUP_BUCKET)
    events = await store.at_positions(positions)
    await CatchupProjection(catalog).apply_batch(events)
    head = await catalog[CATCHUP].find_one({"_id": "b"})
    assert head is not None and (head["count"], head["position"]) == (2 * CATCHUP_BUCKET, positions[-1])
    # A crash came after the heads, before ~through: the last event is applied again, with a new one.
    await catalog[CATCHUP].replace_one({"_id": CATCHUP_THROUGH}, {"position": positions[-2]})
    positions.append(await send_one(store, 99, "a", "b"))
    counter = ReturnedDocuments()
    watched: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(infra.ferretdb.url, event_listeners=[counter])
    try:
        views = ViewCatalog(watched[f"{db_name}_views"])
        await views.refresh()
        views.read_positions = store.at_positions
        await CatchupProjection(views).apply_batch(await store.at_positions(positions[-2:]))
    finally:
        await watched.close()
    assert not [i for i in counter.returned if "|b" in i], counter.returned  # no bucket read back
    got = await _entries_after(catalog[CATCHUP], "b", 0, 0, 200, behind=10**6)
    assert [e["position"] for e in got] == positions


async def test_a_view_from_before_buckets_is_read_then_sealed(dbs: tuple[EventStore, ViewCatalog]) -> None:
    """A view written before buckets has loose entries only, and a head at a multiple of 32."""
    store, catalog = dbs
    total = 4 * CATCHUP_BUCKET + 3
    positions = await send(store, total)
    events = await store.at_positions(positions)
    await CatchupProjection(catalog).apply_batch(events[: 3 * CATCHUP_BUCKET + 1])
    # Back to the old shape: every entry loose, no bucket, the head at a multiple of 32.
    for n, event in enumerate(events[: 3 * CATCHUP_BUCKET + 1]):
        entry = await catalog[CATCHUP].find_one({"_id": catchup_entry_id("b", n)})
        if entry is None:
            message = orjson.loads(
                (await catalog[CATCHUP].find_one({"_id": catchup_bucket_id("b", n // CATCHUP_BUCKET)}))["entries"]
            )[n % CATCHUP_BUCKET]["message"]
            await catalog[CATCHUP].insert_one(
                {
                    "_id": catchup_entry_id("b", n),
                    "user": "b",
                    "number": n,
                    "position": event.position,
                    "message": orjson.dumps(message).decode(),
                }
            )
    await catalog[CATCHUP].delete_many({"_id": {"$in": [catchup_bucket_id("b", b) for b in range(4)]}})
    await catalog[CATCHUP].update_one({"_id": "b"}, {"$set": {"count": 2 * CATCHUP_BUCKET}})
    for counted in (2 * CATCHUP_BUCKET, 0):
        got = await _entries_after(catalog[CATCHUP], "b", counted, 0, 200, behind=10**6)
        assert [e["position"] for e in got] == positions[: 3 * CATCHUP_BUCKET + 1]
    again = CatchupProjection(catalog)  # the upgraded projector
    await again.apply_batch(events[3 * CATCHUP_BUCKET + 1 :])
    assert await catalog[CATCHUP].find_one({"_id": catchup_bucket_id("b", 3)}) is not None
    got = await _entries_after(catalog[CATCHUP], "b", 4 * CATCHUP_BUCKET, 0, 200, behind=10**6)
    assert [e["position"] for e in got] == positions

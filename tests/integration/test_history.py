"""The history view against the real FerretDB: messages loose until their bucket is complete, then sealed in one
bucket document, the same however the events come (out of order, twice, in batches, after a crash), and read back
by seq whatever the mix of buckets and loose messages."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest
from pymongo import AsyncMongoClient

from projector.conversations import ConversationsProjection
from projector.messages import MessagesProjection
from query_api.routes.conversations import history, read_history
from shared.conversations import message_payload, packed
from shared.event_store import EventStore
from shared.events import Envelope
from shared.lru import Lru
from shared.media_urls import MediaSigner
from shared.views import HISTORY_BUCKET, MESSAGES, ViewCatalog, history_bucket_id, history_id
from tests.integration.test_catchup import ReturnedDocuments, send_one
from tests.support import Infra

CONVERSATION = "dm:a:b"


@pytest.fixture
async def dbs(mongo: AsyncMongoClient[dict[str, Any]], db_name: str) -> AsyncIterator[tuple[EventStore, ViewCatalog]]:
    store = EventStore(mongo[db_name])
    await store.ensure_indexes()
    yield store, ViewCatalog(mongo[f"{db_name}_views"])
    await mongo.drop_database(db_name)
    await mongo.drop_database(f"{db_name}_views")


async def messages(store: EventStore, n: int, first: int = 1) -> list[Envelope]:
    """The next n messages from a to b, ``hello <first>`` onwards."""
    return await store.at_positions([await send_one(store, tag, "a", "b") for tag in range(first, first + n)])


async def view_documents(catalog: ViewCatalog) -> list[dict[str, Any]]:
    return sorted([d async for d in catalog[MESSAGES].find()], key=lambda d: str(d["_id"]))


async def texts(catalog: ViewCatalog, seqs: range, *, loose_from: int | None = None) -> list[str]:
    found = await read_history(catalog[MESSAGES], CONVERSATION, seqs, loose_from=loose_from)
    return [found[seq]["text"] for seq in seqs if seq in found]


async def test_complete_buckets_are_sealed_and_their_loose_messages_go(dbs: tuple[EventStore, ViewCatalog]) -> None:
    store, catalog = dbs
    total = 3 * HISTORY_BUCKET + 5
    events = await messages(store, total)
    projection = MessagesProjection(catalog)
    for event in events:  # live: one at a time
        await projection.apply_batch([event])
    ids = [d["_id"] for d in await view_documents(catalog)]
    sealed = [history_bucket_id(CONVERSATION, b) for b in range(3)]
    loose = [history_id(CONVERSATION, seq) for seq in range(3 * HISTORY_BUCKET + 1, total + 1)]
    assert sorted(ids) == sorted(sealed + loose)
    bucket = await catalog[MESSAGES].find_one({"_id": sealed[1]})
    assert bucket is not None
    held = orjson.loads(bucket["messages"])
    assert [m["seq"] for m in held] == list(range(HISTORY_BUCKET + 1, 2 * HISTORY_BUCKET + 1))
    assert held[0]["text"] == f"hello {HISTORY_BUCKET + 1}" and held[0]["sender_id"] == "a"
    # Any range, across buckets and loose messages, and past the newest; loose messages asked of any part of it.
    for seqs in (range(1, total + 1), range(10, 40), range(total - 3, total + 20), range(45, 46)):
        for loose_from in (None, 1, 20, total - 10, total + 30):
            got = await texts(catalog, seqs, loose_from=loose_from)
            assert got == [f"hello {seq}" for seq in seqs if seq <= total], loose_from


@pytest.mark.parametrize(("batch", "held_max"), [(1000, 100_000), (7, 100_000), (7, 3)])
async def test_the_view_is_the_same_however_the_events_come(
    dbs: tuple[EventStore, ViewCatalog],
    mongo: AsyncMongoClient[dict[str, Any]],
    db_name: str,
    monkeypatch: pytest.MonkeyPatch,
    batch: int,
    held_max: int,
) -> None:
    """Live, out of order, twice and from a restarted process; or rebuilt in batches, holding open buckets in memory
    or writing them when it holds too many: the same documents."""
    store, live = dbs
    total = 4 * HISTORY_BUCKET + 9
    events = await messages(store, total)
    first = MessagesProjection(live)
    await first.apply_batch(events[20:30])
    await first.apply_batch(events[5:21])
    await first.apply_batch(events[:3])
    # A new process (a restart): it reads back what the view holds of each bucket before sealing it.
    second = MessagesProjection(live)
    await second.apply_batch(events[3:5])
    await second.apply_batch(events[29:])
    await second.apply_batch(events[10:40])  # again
    monkeypatch.setattr("projector.messages._REBUILD_HELD_MAX", held_max)
    replayed = ViewCatalog(mongo[f"{db_name}_replayed"])
    rebuilt = MessagesProjection(replayed)
    rebuilt.begin_rebuild()
    try:
        for start in range(0, len(events), batch):
            await rebuilt.apply_batch(events[start : start + batch])
        await rebuilt.flush()
        assert await view_documents(live) == await view_documents(replayed)
        assert len(await view_documents(live)) == 4 + 9
        # After the rebuild hands over, it carries on live: the next messages seal the open bucket.
        more = await messages(store, HISTORY_BUCKET, first=total + 1)
        await rebuilt.apply_batch(more)
        await second.apply_batch(more)
        assert await view_documents(live) == await view_documents(replayed)
        assert await texts(replayed, range(1, total + HISTORY_BUCKET + 1)) == [
            f"hello {n}" for n in range(1, total + HISTORY_BUCKET + 1)
        ]
    finally:
        await mongo.drop_database(f"{db_name}_replayed")


async def test_a_crash_between_a_seal_and_its_delete_is_cleaned_up(dbs: tuple[EventStore, ViewCatalog]) -> None:
    store, catalog = dbs
    events = await messages(store, HISTORY_BUCKET + 2)
    projection = MessagesProjection(catalog)
    await projection.apply_batch(events)
    sealed = await view_documents(catalog)
    # The loose messages of the sealed bucket are back, as if the delete had not run; the batch comes again.
    loose = [
        {"_id": history_id(CONVERSATION, seq), "seq": seq, "message": packed(message_payload(event))}
        for seq, event in enumerate(events[:HISTORY_BUCKET], start=1)
    ]
    await catalog[MESSAGES].insert_many(loose)
    assert await texts(catalog, range(1, HISTORY_BUCKET + 3)) == [f"hello {n}" for n in range(1, HISTORY_BUCKET + 3)]
    await MessagesProjection(catalog).apply_batch(events)
    assert await view_documents(catalog) == sealed


async def test_a_view_of_loose_messages_only_is_read_then_sealed(dbs: tuple[EventStore, ViewCatalog]) -> None:
    """A view written before buckets holds every message loose: read as it is; a bucket is sealed once touched."""
    store, catalog = dbs
    events = await messages(store, 2 * HISTORY_BUCKET)
    await catalog[MESSAGES].insert_many(
        [
            {"_id": history_id(CONVERSATION, n), "seq": n, "message": orjson.dumps(m).decode()}
            for n, m in ((n, {"seq": n, "text": f"hello {n}"}) for n in range(1, 2 * HISTORY_BUCKET + 1))
        ]
    )
    for loose_from in (None, 2 * HISTORY_BUCKET, 2 * HISTORY_BUCKET + 1):  # buckets expected sealed are asked again
        everything = await texts(catalog, range(1, 2 * HISTORY_BUCKET + 1), loose_from=loose_from)
        assert everything == [f"hello {n}" for n in range(1, 33)]
    await MessagesProjection(catalog).apply_batch(events[HISTORY_BUCKET + 3 : HISTORY_BUCKET + 4])
    ids = [d["_id"] for d in await view_documents(catalog)]
    assert history_bucket_id(CONVERSATION, 1) in ids and history_id(CONVERSATION, HISTORY_BUCKET + 1) not in ids
    assert history_bucket_id(CONVERSATION, 0) not in ids and len(ids) == HISTORY_BUCKET + 1


async def test_a_page_reads_buckets_not_messages(
    dbs: tuple[EventStore, ViewCatalog], infra: Infra, db_name: str
) -> None:
    store, catalog = dbs
    total = 300
    await MessagesProjection(catalog).apply_batch(await messages(store, total))
    counter = ReturnedDocuments()
    watched: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(infra.ferretdb.url, event_listeners=[counter])
    try:
        page = range(total - 49, total + 1)
        found = await read_history(watched[f"{db_name}_views"][MESSAGES], CONVERSATION, page)
        assert [found[seq]["text"] for seq in page] == [f"hello {seq}" for seq in page]
        # 50 messages: the four buckets they overlap and the loose ones past the last complete bucket.
        assert counter.documents <= 50 // HISTORY_BUCKET + 2 + HISTORY_BUCKET, counter.documents
        # An older page asks for its buckets alone (FerretDB's cost follows the ids asked too), in one query.
        counter.asked.clear()
        older = range(6 * HISTORY_BUCKET + 1, 9 * HISTORY_BUCKET + 1)
        found = await read_history(watched[f"{db_name}_views"][MESSAGES], CONVERSATION, older, loose_from=older.stop)
        assert [found[seq]["text"] for seq in older] == [f"hello {seq}" for seq in older]
        assert counter.asked == [3]
    finally:
        await watched.close()


@pytest.mark.parametrize("summarized", [130, 60])
async def test_a_newest_page_is_right_whatever_this_process_remembers_of_the_conversation(
    dbs: tuple[EventStore, ViewCatalog], summarized: int
) -> None:
    """The newest seq served last is only a guess read alongside the summary: stale, far behind, ahead of the view
    (a view being rebuilt) or unknown, the page is the same; the summary may lag the history too."""
    store, catalog = dbs
    total = 130
    events = await messages(store, total)
    await MessagesProjection(catalog).apply_batch(events)
    await ConversationsProjection(catalog).apply_batch(events[:summarized])
    signer = MediaSigner.from_secret(secrets.token_hex(32), ttl_seconds=3600)
    for guess in (None, 1, total - 60, total - 3, total, total + 10, total + 500):
        served = Lru[str, int](10)
        if guess is not None:
            served.remember(CONVERSATION, guess)
        for limit in (50, 7):
            page = await history(
                peer_id="b", user_id="a", views=catalog, signer=signer, served=served, before=None, limit=limit
            )
            expected = [f"hello {seq}" for seq in range(total - limit + 1, total + 1)]
            assert [m.text for m in page.messages] == expected, (guess, limit)
            assert page.next_before == total - limit + 1, guess
            assert served[CONVERSATION] == total

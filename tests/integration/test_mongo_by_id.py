"""Writes and reads by ``_id`` (shared/mongo.py), and the FerretDB fix they rely on, against the real FerretDB."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from bson import ObjectId, Regex
from pymongo import AsyncMongoClient, monitoring
from pymongo.asynchronous.collection import AsyncCollection

from shared.mongo import BY_ID_CHUNK, IN_CHUNK, delete_by_id, find_by_id, replace_by_id
from tests.support import Infra


@pytest.fixture
async def collection(
    mongo: AsyncMongoClient[dict[str, Any]], db_name: str
) -> AsyncIterator[AsyncCollection[dict[str, Any]]]:
    yield mongo[db_name]["docs"]
    await mongo.drop_database(db_name)


async def plan(
    mongo: AsyncMongoClient[dict[str, Any]], collection: AsyncCollection[dict[str, Any]], filter: Any
) -> str:
    """FerretDB's SQLite query plan for a find (the test is skipped on MongoDB, which plans its own queries)."""
    if "ferretdbVersion" not in await mongo.admin.command("buildInfo"):
        pytest.skip("MongoDB plans its own queries")
    explained = await collection.database.command("explain", {"find": collection.name, "filter": filter})
    return " ".join(str(line) for line in explained.get("queryPlanner", {}).get("Plan", []))


async def test_ferretdb_finds_by_id_through_the_id_index(
    mongo: AsyncMongoClient[dict[str, Any]], collection: AsyncCollection[dict[str, Any]]
) -> None:
    """scripts/ferretdb-patches/0001: without it, SQLite scans the whole table for every lookup by _id."""
    await collection.insert_many([{"_id": f"doc-{i}"} for i in range(10)])
    found = await plan(mongo, collection, {"_id": "doc-3"})
    assert "USING INDEX" in found, found


async def test_replace_by_id_inserts_and_replaces_beyond_one_chunk(collection: AsyncCollection[dict[str, Any]]) -> None:
    """More statements than FerretDB's SQLite pool has connections: one update command this large never ends."""
    count = BY_ID_CHUNK * 5 + 3  # over 100 when the chunk is 25 or more
    await collection.insert_many([{"_id": f"doc-{i}", "v": 0} for i in range(0, count, 2)])
    await replace_by_id(collection, [{"_id": f"doc-{i}", "v": 1, "name": "ünï 😀"} for i in range(count)])
    docs = {doc["_id"]: doc async for doc in collection.find()}
    assert len(docs) == count
    assert all(doc["v"] == 1 and doc["name"] == "ünï 😀" for doc in docs.values())


async def test_find_and_delete_by_id(collection: AsyncCollection[dict[str, Any]]) -> None:
    """Deletes go in one command however many: 300 here, past FerretDB's 100 connections."""
    await collection.insert_many([{"_id": f"doc-{i}", "v": i} for i in range(600)])
    found = await find_by_id(collection, ["doc-1", "doc-599", "missing", "doc-1"])
    assert {k: v["v"] for k, v in found.items()} == {"doc-1": 1, "doc-599": 599}
    await delete_by_id(collection, [f"doc-{i}" for i in range(0, 600, 2)] + ["missing"])
    await delete_by_id(collection, [])
    assert sorted([doc["v"] async for doc in collection.find()]) == list(range(1, 600, 2))


async def test_ferretdb_finds_an_id_in_list_through_the_id_index(
    mongo: AsyncMongoClient[dict[str, Any]], collection: AsyncCollection[dict[str, Any]]
) -> None:
    """scripts/ferretdb-patches/0003: {_id: {$in: [strings]}} is served from the _id index too."""
    await collection.insert_many([{"_id": f"doc-{i}"} for i in range(10)])
    found = await plan(mongo, collection, {"_id": {"$in": ["doc-3", "doc-7"]}})
    assert "USING INDEX" in found, found
    # Shapes it leaves to the handler (a regex matches by pattern, numbers across types): the table is scanned.
    for condition in ({"$in": ["doc-3", {"$regex": "^doc"}]}, {"$in": ["doc-3", 3]}, {"$in": []}, {"$nin": ["x"]}):
        found = await plan(mongo, collection, {"_id": condition})
        assert "USING INDEX" not in found, (condition, found)


async def test_an_id_in_list_finds_exactly_what_matches(collection: AsyncCollection[dict[str, Any]]) -> None:
    """The pushdown never narrows a result: every id form answers as a full scan would (compared with $or)."""
    oid = ObjectId()
    ids: list[Any] = ["a", "b", "ünï 😀", 'quote"d', "back\\slash", "", "A", oid, 1, 2.5, "1", None]
    await collection.insert_many([{"_id": i, "v": n} for n, i in enumerate(ids)])
    await collection.insert_one({"_id": {"nested": "a"}, "v": 99})
    asks: list[list[Any]] = [
        ["a"],
        ["a", "a", "missing"],
        ["ünï 😀", 'quote"d', "back\\slash", ""],
        ["A", "b"],  # case matters
        [oid, "a"],
        [str(oid)],  # a string is not the ObjectId
        ["1"],  # nor the number
        [1.0, "a"],  # a number: left to the handler (1.0 matches 1)
        [Regex("^a$"), "b"],  # a regex: left to the handler
        [None, "b"],
    ]
    for ask in asks:
        got = sorted([str(d["v"]) async for d in collection.find({"_id": {"$in": ask}})])
        scanned = sorted([str(d["v"]) async for d in collection.find({"$or": [{"_id": v} for v in ask]})])
        assert got == scanned, ask
    found = await find_by_id(collection, ["a", "missing", oid, "ünï 😀"])
    assert {k: v["v"] for k, v in found.items()} == {"a": 0, oid: 7, "ünï 😀": 2}
    assert [d["v"] async for d in collection.find({"_id": {"$in": [2.5]}})] == [9]


async def test_find_by_id_reads_more_ids_than_one_chunk(collection: AsyncCollection[dict[str, Any]]) -> None:
    await collection.insert_many([{"_id": f"doc-{i:04d}", "v": i} for i in range(IN_CHUNK * 2 + 10)])
    wanted = [f"doc-{i:04d}" for i in range(0, IN_CHUNK * 2 + 20, 3)]
    found = await find_by_id(collection, wanted)
    assert sorted(found) == [i for i in wanted if int(i[4:]) < IN_CHUNK * 2 + 10]


class _Commands(monitoring.CommandListener):
    def __init__(self) -> None:
        self.names: list[str] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        self.names.append(event.command_name)

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


async def test_find_by_id_is_one_round_trip_when_every_id_is_there(infra: Infra, db_name: str) -> None:
    # A batch exactly as large as what matched leaves the cursor open for a getMore that finds nothing: a second
    # round trip on every read whose ids all exist (an older history page, a full catch-up window).
    commands = _Commands()
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(infra.ferretdb.url, event_listeners=[commands])
    try:
        collection = client[db_name]["docs"]
        await collection.insert_many([{"_id": f"doc-{i}"} for i in range(10)])
        for wanted in (["doc-1"], ["doc-1", "doc-2"], [f"doc-{i}" for i in range(10)], ["doc-1", "absent"]):
            commands.names.clear()
            found = await find_by_id(collection, wanted)
            assert sorted(found) == sorted(w for w in wanted if w != "absent")
            assert commands.names == ["find"], wanted
    finally:
        await client.drop_database(db_name)
        await client.close()

"""Writes and reads by ``_id`` (shared/mongo.py), and the FerretDB fix they rely on, against the real FerretDB."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection

from shared.mongo import BY_ID_CHUNK, delete_by_id, find_by_id, replace_by_id


@pytest.fixture
async def collection(
    mongo: AsyncMongoClient[dict[str, Any]], db_name: str
) -> AsyncIterator[AsyncCollection[dict[str, Any]]]:
    yield mongo[db_name]["docs"]
    await mongo.drop_database(db_name)


def plan(explained: dict[str, Any]) -> str:
    return " ".join(str(line) for line in explained.get("queryPlanner", {}).get("Plan", []))


async def test_ferretdb_finds_by_id_through_the_id_index(
    mongo: AsyncMongoClient[dict[str, Any]], collection: AsyncCollection[dict[str, Any]]
) -> None:
    """scripts/ferretdb-patches/0001: without it, SQLite scans the whole table for every lookup by _id."""
    build = await mongo.admin.command("buildInfo")
    if "ferretdbVersion" not in build:
        pytest.skip("MongoDB plans its own queries")
    await collection.insert_many([{"_id": f"doc-{i}"} for i in range(10)])
    explained = await collection.database.command("explain", {"find": collection.name, "filter": {"_id": "doc-3"}})
    assert "USING INDEX" in plan(explained), plan(explained)


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

"""Batched writes for projections.

FerretDB 1.24 (SQLite) inserts quickly but answers every update or delete by scanning the collection, so a
projection writes a whole batch of events at once: new documents with one insert, changed ones with one delete and
one insert. Between those two a reader can miss a changed document for a moment; readers of these views tolerate
that (a sidebar refreshes), and MongoDB serves the same calls from its indexes.
"""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError

DUPLICATE_KEY = 11000


async def insert_new(collection: AsyncCollection[dict[str, Any]], docs: list[dict[str, Any]]) -> None:
    """Insert documents, skipping those whose ``_id`` is already there (an event applied before)."""
    if not docs:
        return
    try:
        await collection.insert_many(docs, ordered=False)
    except BulkWriteError as exc:
        if any(error.get("code") != DUPLICATE_KEY for error in exc.details.get("writeErrors", [])):
            raise


async def replace_all(collection: AsyncCollection[dict[str, Any]], docs: list[dict[str, Any]]) -> None:
    """Write whole documents, replacing any with the same ``_id``."""
    if not docs:
        return
    await collection.delete_many({"_id": {"$in": [doc["_id"] for doc in docs]}})
    await insert_new(collection, docs)


async def write_each(
    collection: AsyncCollection[dict[str, Any]], docs: list[dict[str, Any]], existing: set[str]
) -> None:
    """Insert the new documents at once and replace the existing ones one by one: no reader ever misses one.

    Dearer than ``replace_all`` on FerretDB (a scan per replaced document), so for views whose documents must not
    blink out of a list (the sidebar's people).
    """
    await insert_new(collection, [doc for doc in docs if doc["_id"] not in existing])
    for doc in docs:
        if doc["_id"] in existing:
            await collection.replace_one({"_id": doc["_id"]}, doc)


async def load_many(
    collection: AsyncCollection[dict[str, Any]], ids: list[str], cache: dict[str, dict[str, Any]]
) -> None:
    """Bring the documents with these ids into ``cache`` with one query (absent ones stay absent)."""
    missing = [i for i in dict.fromkeys(ids) if i not in cache]
    if missing:
        async for doc in collection.find({"_id": {"$in": missing}}):
            cache[doc["_id"]] = doc

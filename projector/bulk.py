"""Batched writes for projections.

FerretDB 1.24 (SQLite) inserts quickly but answers every update or delete by scanning the collection, so a
projection writes a whole batch of events at once: new documents with one insert, changed ones with one delete and
one insert. Between those two a reader can miss a changed document for a moment; readers of these views tolerate
that (a sidebar refreshes), and MongoDB serves the same calls from its indexes.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
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


class ViewDocuments:
    """The documents of one view a projection owns: loaded per batch, changed in memory, written per batch.

    One consumer owns each view, so the documents it wrote stay in memory (up to ``limit``) and a batch costs one
    read of the missing ones and one write. ``blink_free`` views (the sidebar's people) replace changed documents
    one by one instead of delete-and-insert, so no reader ever misses one.

    While rebuilding into a new, empty collection that nobody reads yet, every document stays in memory and
    ``flush`` writes them all at the end with plain inserts: no reads, no rewrites.
    """

    def __init__(
        self, collection: AsyncCollection[dict[str, Any]], *, blink_free: bool = False, limit: int = 50_000
    ) -> None:
        self.collection = collection
        self.blink_free = blink_free
        self.limit = limit
        self.docs: dict[str, dict[str, Any]] = {}
        self.rebuilding = False
        self._stored: set[str] = set()

    def begin_rebuild(self) -> None:
        """The collection is new and empty, and only this writer touches it until ``flush``."""
        self.rebuilding = True
        self.docs.clear()

    async def load(self, ids: list[str]) -> None:
        """Bring these documents into memory (those stored and not there yet)."""
        if self.rebuilding:
            return
        if len(self.docs) > self.limit:
            self.docs.clear()
        await load_many(self.collection, ids, self.docs)
        self._stored = set(self.docs)

    def edit(
        self, doc_id: str, changed: dict[str, dict[str, Any]], new: Callable[[], dict[str, Any]]
    ) -> dict[str, Any]:
        """The document to change in this batch: already changed in it, a copy of the one in memory, or ``new()``.

        Live, a copy, so that a batch that fails leaves memory as it was; rebuilding, the document itself.
        """
        doc = changed.get(doc_id)
        if doc is None:
            known = self.docs.get(doc_id)
            if known is None:
                doc = new()
            else:
                doc = known if self.rebuilding else copy.deepcopy(known)
            changed[doc_id] = doc
        return doc

    async def write(self, changed: dict[str, dict[str, Any]]) -> None:
        """Store the batch's changed documents; they are remembered only once written, so a batch that fails is
        applied again from what is really stored."""
        if self.rebuilding:
            self.docs.update(changed)
            return
        if self.blink_free:
            await write_each(self.collection, list(changed.values()), self._stored)
        else:
            await replace_all(self.collection, list(changed.values()))
        self.docs.update(changed)
        self._stored.update(changed)

    async def flush(self, chunk: int = 5000) -> None:
        """After a rebuild: insert every document, in chunks."""
        docs = list(self.docs.values())
        for start in range(0, len(docs), chunk):
            await self.collection.insert_many(docs[start : start + chunk], ordered=False)
        self.rebuilding = False
        self._stored = set(self.docs)

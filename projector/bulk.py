"""Batched writes for projections.

A projection writes a whole batch of events at once: the documents it changed go as one bulk write of replacements
by ``_id``, which MongoDB, and FerretDB with its _id index in use, serve without scanning the view.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

from shared.mongo import find_by_id, replace_by_id


class ViewDocuments:
    """The documents of one view a projection owns: loaded per batch, changed in memory, written per batch.

    One consumer owns each view, so the documents it wrote stay in memory (up to ``limit``) and a batch costs a
    read of the missing ones and one bulk write. Documents are replaced in place, so no reader ever misses one.

    While rebuilding into a new, empty collection that nobody reads yet, every document stays in memory and
    ``flush`` writes them all at the end with plain inserts: no reads, no rewrites.
    """

    def __init__(self, collection: AsyncCollection[dict[str, Any]], *, limit: int = 50_000) -> None:
        self.collection = collection
        self.limit = limit
        self.docs: dict[str, dict[str, Any]] = {}
        self.rebuilding = False

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
        self.docs.update(await find_by_id(self.collection, [i for i in ids if i not in self.docs]))

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
        await replace_by_id(self.collection, list(changed.values()))
        self.docs.update(changed)

    async def release(self, doc_ids: list[str], chunk: int = 5000) -> None:
        """While rebuilding: insert documents that no later event can change, and forget them (memory stays
        bounded by the documents still open, not by the whole view)."""
        docs = [self.docs.pop(doc_id) for doc_id in doc_ids if doc_id in self.docs]
        for start in range(0, len(docs), chunk):
            await self.collection.insert_many(docs[start : start + chunk], ordered=False)

    async def flush(self, chunk: int = 5000) -> None:
        """After a rebuild: insert every document, in chunks."""
        docs = list(self.docs.values())
        for start in range(0, len(docs), chunk):
            await self.collection.insert_many(docs[start : start + chunk], ordered=False)
        self.rebuilding = False

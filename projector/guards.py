"""Version-guarded writes: applying an event twice, or an older one after a newer one, changes nothing.

Read by ``_id``, decide in Python, write by ``_id``: safe because one consumer applies a projection's events one at a
time, and cheap on FerretDB, which answers only ``_id`` lookups from an index.
"""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.collection import AsyncCollection


async def upsert_if_newer(
    collection: AsyncCollection[dict[str, Any]],
    doc_id: str,
    *,
    version_field: str,
    version: int,
    fields: dict[str, Any],
    defaults: dict[str, Any] | None = None,
) -> bool:
    """Set ``fields`` (and ``version_field``) unless the document already holds ``version`` or a later one.

    ``defaults`` fill a document created here. Returns whether anything was written.
    """
    doc = await collection.find_one({"_id": doc_id})
    if doc is not None and doc.get(version_field, 0) >= version:
        return False
    merged = {**(defaults or {}), **(doc or {}), **fields, version_field: version, "_id": doc_id}
    await collection.replace_one({"_id": doc_id}, merged, upsert=True)
    return True

"""Version-guarded writes: applying an event twice, or an older one after a newer one, changes nothing."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError


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
    update: dict[str, Any] = {"$set": {**fields, version_field: version}}
    if defaults:
        update["$setOnInsert"] = {k: v for k, v in defaults.items() if k not in fields}
    try:
        result = await collection.update_one(
            {
                "_id": doc_id,
                "$or": [{version_field: {"$exists": False}}, {version_field: {"$lt": version}}],
            },
            update,
            upsert=True,
        )
    except DuplicateKeyError:
        # The filter did not match an existing document, so the upsert tried to create it again: the document
        # already holds this version or a newer one.
        return False
    return result.modified_count > 0 or result.upserted_id is not None

"""MongoDB client creation (created in a lifespan, never at import)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from typing import Any

from pymongo import AsyncMongoClient, DeleteOne, ReplaceOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError

from shared.settings import Settings

Document = dict[str, Any]
DUPLICATE_KEY = 11000


def create_client(settings: Settings) -> AsyncMongoClient[Document]:
    # tz_aware: dates come back as aware UTC datetimes, equal to what was written.
    options: dict[str, Any] = {}
    if settings.mongodb_write_concern != "1":
        options["w"] = settings.mongodb_write_concern
    if settings.mongodb_journal is not None:
        options["journal"] = settings.mongodb_journal
    if settings.mongodb_read_preference != "primary":
        options["readPreference"] = settings.mongodb_read_preference
    if settings.mongodb_replica_set:
        options["replicaSet"] = settings.mongodb_replica_set
    return AsyncMongoClient(
        settings.mongodb_url,
        tz_aware=True,
        serverSelectionTimeoutMS=settings.mongodb_timeout_ms,
        connectTimeoutMS=settings.mongodb_timeout_ms,
        appname=settings.service_name,
        **options,
    )


async def ping(client: AsyncMongoClient[Document]) -> None:
    """Raises when MongoDB cannot be reached."""
    await client.admin.command("ping")


# FerretDB (SQLite) serves a filter of exactly {"_id": <string>} or {"_id": {"$in": [<strings>]}} from the _id index
# (given the fixes in scripts/ferretdb-patches/) but scans the whole collection for any other filter. So writes by
# id go as bulk commands of single-id operations: one round trip, no scan, on MongoDB as on FerretDB.
# FerretDB keeps each update statement's cursor open until its command ends, and its SQLite pool has 100
# connections: an update command of 100 statements or more never finishes. Hence the chunks of replacements.
BY_ID_CHUNK = 25
# Ids asked for by one `$in` read (FerretDB pushes down at most 1,000).
IN_CHUNK = 500


async def replace_by_id(collection: AsyncCollection[Document], docs: Sequence[Document]) -> None:
    """Write whole documents, inserting or replacing by ``_id``; readers see the old document or the new one."""
    for start in range(0, len(docs), BY_ID_CHUNK):
        chunk = docs[start : start + BY_ID_CHUNK]
        await collection.bulk_write([ReplaceOne({"_id": doc["_id"]}, doc, upsert=True) for doc in chunk], ordered=False)


async def delete_by_id(collection: AsyncCollection[Document], ids: Iterable[Any]) -> None:
    """Delete the documents with these ids (absent ones are skipped), in one command: FerretDB closes each delete
    statement's cursor as it goes, so deletes need no chunks."""
    deletes = [DeleteOne({"_id": doc_id}) for doc_id in ids]
    if deletes:
        await collection.bulk_write(deletes, ordered=False)


async def find_by_id(collection: AsyncCollection[Document], ids: Iterable[Any]) -> dict[Any, Document]:
    """The documents with these ids, by id (absent ones are left out): one ``$in`` query per chunk of ids.

    FerretDB serves an ``_id`` ``$in`` of strings from the _id index given scripts/ferretdb-patches/0003; MongoDB
    always does. Ids of any other type are looked up one by one (FerretDB would read the whole collection)."""
    found: dict[Any, Document] = {}
    ids = list(dict.fromkeys(ids))
    if len(ids) == 1:  # a plain equality: a little cheaper than an `$in` of one, on FerretDB as on MongoDB
        one = await collection.find_one({"_id": ids[0]})
        return {ids[0]: one} if one is not None else {}
    strings = [i for i in ids if isinstance(i, str)]
    for start in range(0, len(strings), IN_CHUNK):
        chunk = strings[start : start + IN_CHUNK]
        # One more than can match: a first batch holding every match ends the cursor (a batch exactly full would
        # leave it open for a getMore that finds nothing, a second round trip).
        async for doc in collection.find({"_id": {"$in": chunk}}, batch_size=len(chunk) + 1):
            found[doc["_id"]] = doc
    others = [i for i in ids if not isinstance(i, str)]
    for one in await asyncio.gather(*(collection.find_one({"_id": doc_id}) for doc_id in others)):
        if one is not None:
            found[one["_id"]] = one
    return found


async def insert_new(collection: AsyncCollection[Document], docs: Sequence[Document]) -> None:
    """Insert documents, skipping those whose ``_id`` is already there (an event applied before)."""
    if not docs:
        return
    try:
        await collection.insert_many(docs, ordered=False)
    except BulkWriteError as exc:
        if any(error.get("code") != DUPLICATE_KEY for error in exc.details.get("writeErrors", [])):
            raise

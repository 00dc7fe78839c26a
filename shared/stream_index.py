"""The log's own index, kept by ``_id``: each stream's head and each idempotency key's event, as positions.

FerretDB 1.24 on SQLite answers a query without reading the whole collection only when its filter is exactly one
``_id`` equality. So "the newest event of stream S" and "the event stored under key K" cannot be asked of the
``events`` collection on a grown instance. This collection answers them by ``_id``:

- ``h|<stream>``: the stream's version, the position of its newest event, and the position of its newest event of
  each type (a profile is folded from the newest registration and the newest profile change, not from every
  event of the stream);
- ``k|<idempotency key>``: the position of the event stored under the key (retries, one account per email),
  written once by an insert;
- ``~checkpoint``: every event up to this position is in the index.

It is written after the events themselves, so the events stay the truth: an entry is at worst a little behind.
After a crash between the two writes, the start of the command API indexes the events past the checkpoint (read by
``_id``, since positions are gapless). Two command API processes can write one stream's head out of order; the
store notices when an append conflicts with an index entry older than the conflict and asks the log itself then.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pymongo import UpdateOne
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

from shared.mongo import BY_ID_CHUNK, DUPLICATE_KEY, find_by_id, insert_new

INDEX = "event_index"
CHECKPOINT = "~checkpoint"  # no stream name or key starts with "~"


def head_id(stream: str) -> str:
    return f"h|{stream}"


def key_id(key: str) -> str:
    return f"k|{key}"


def is_command_key(key: str) -> bool:
    """Keys a command chose (a retry may repeat them); ``event:<id>`` is the store's own filler, never looked up."""
    return not key.startswith("event:")


@dataclass(frozen=True, slots=True)
class StreamHead:
    version: int
    position: int
    # Event type -> position of the stream's newest event of that type.
    latest: dict[str, int] = field(default_factory=dict)


class StreamIndex:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.collection = db[INDEX]

    async def head(self, stream: str) -> StreamHead | None:
        doc = await self.collection.find_one({"_id": head_id(stream)})
        return _head(doc) if doc is not None else None

    async def heads(self, streams: Sequence[str]) -> dict[str, StreamHead]:
        """The heads of several streams in one read by ``_id`` (streams with no events are left out)."""
        found = await find_by_id(self.collection, [head_id(stream) for stream in streams])
        return {stream: _head(found[head_id(stream)]) for stream in streams if head_id(stream) in found}

    async def key_position(self, key: str) -> int | None:
        doc = await self.collection.find_one({"_id": key_id(key)})
        return int(doc["position"]) if doc else None

    async def checkpoint(self) -> int | None:
        """The position through which every event is indexed; None for a log never indexed."""
        doc = await self.collection.find_one({"_id": CHECKPOINT})
        return int(doc["position"]) if doc else None

    async def record(self, docs: Sequence[dict[str, Any]], *, checkpoint: bool = True) -> None:
        """Index stored events (event documents, in position order): the keys' entries (an entry never changes:
        one already there is left as it is), then the heads by updates by ``_id``, the checkpoint last.

        Most commits hold one event or a few: their keys go as inserts-if-absent at the head of the heads' command,
        one round trip instead of two on every send. A larger group inserts its keys in one command first.
        """
        if not docs:
            return
        keys, updates = index_entries(docs, checkpoint=checkpoint)
        if len(keys) + len(updates) <= BY_ID_CHUNK:
            absent = [
                UpdateOne({"_id": k["_id"]}, {"$setOnInsert": {"position": k["position"]}}, upsert=True) for k in keys
            ]
            try:
                await self.collection.bulk_write([*absent, *updates], ordered=True)
                return
            except BulkWriteError as exc:
                # Two writers inserting one key at once: the loser's command stopped there; take the long way.
                if not keys or any(e.get("code") != DUPLICATE_KEY for e in exc.details.get("writeErrors", [])):
                    raise
        await insert_new(self.collection, keys)
        await self._write(updates)

    async def repair_head(self, stream: str, doc: dict[str, Any], latest: dict[str, int]) -> None:
        """Rewrite a stream's head from the log itself (after the index was found behind)."""
        entry = {"version": int(doc["stream_version"]), "position": int(doc["position"]), "latest": latest}
        await self.collection.replace_one({"_id": head_id(stream)}, {"_id": head_id(stream), **entry}, upsert=True)

    async def _write(self, updates: list[UpdateOne]) -> None:
        # Chunks: FerretDB keeps each update statement's cursor open until the command ends (see shared/mongo.py).
        for start in range(0, len(updates), BY_ID_CHUNK):
            await self.collection.bulk_write(updates[start : start + BY_ID_CHUNK], ordered=True)


def index_entries(
    docs: Iterable[dict[str, Any]], *, checkpoint: bool = True
) -> tuple[list[dict[str, Any]], list[UpdateOne]]:
    """For event documents given in position order (newest last): the keys' entries to insert, and the updates of
    the heads (and the checkpoint, last)."""
    heads: dict[str, dict[str, Any]] = {}
    keys: dict[str, int] = {}
    highest = 0
    for doc in docs:
        position = int(doc["position"])
        highest = max(highest, position)
        head = heads.setdefault(doc["stream"], {})
        head["version"] = int(doc["stream_version"])
        head["position"] = position
        head[f"latest.{doc['type']}"] = position
        key = str(doc.get("idempotency_key") or "")
        if key and is_command_key(key):
            keys[key] = position
    updates = [UpdateOne({"_id": head_id(stream)}, {"$set": fields}, upsert=True) for stream, fields in heads.items()]
    if checkpoint and highest:
        # Last in an ordered command: it moves only once everything before it is written.
        updates.append(UpdateOne({"_id": CHECKPOINT}, {"$max": {"position": highest}}, upsert=True))
    return [{"_id": key_id(key), "position": p} for key, p in keys.items()], updates


def _head(doc: dict[str, Any]) -> StreamHead:
    return StreamHead(int(doc["version"]), int(doc["position"]), {k: int(v) for k, v in doc["latest"].items()})

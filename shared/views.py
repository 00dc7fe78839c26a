"""Names and shapes of the read models, shared by the projector (writer) and the query API (reader).

Each read model (``users``, ``messages``, ...) is served by one physical collection, named in the small
``view_catalog`` collection (absent: the collection of the model's own name). A replay builds a model beside the
live one, under a new name, then switches the catalog entry: one single-document write, atomic on MongoDB and
FerretDB alike, so a reader sees the whole old view or the whole new one, never a half-built one.
"""

from __future__ import annotations

import asyncio
import logging
import zlib
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from shared.events import Envelope
from shared.waiting import woken

log = logging.getLogger(__name__)

USERS = "users"
# Every user's name, in a fixed number of chunks, for the query API's directory (sidebar paging and search).
DIRECTORY = "directory"
# Conversation history: one document per message, its id computed from the conversation and seq; each complete run
# of ``HISTORY_BUCKET`` messages is sealed into one document (see projector/messages.py).
MESSAGES = "messages"
CONVERSATIONS = "conversations"
# Per owner: every peer they have a conversation with, most recent activity first (the sidebar's first part).
CONVERSATION_LISTS = "conversation_lists"
# Per user: what a reconnecting client catches up on (messages and receipts concerning them), by log position.
CATCHUP = "catchup"
# Who may download each upload (its uploader and the participants of conversations it was sent in), with its meta.
MEDIA = "media"
MODELS = (USERS, DIRECTORY, CONVERSATIONS, CONVERSATION_LISTS, MESSAGES, CATCHUP, MEDIA)

# Documents whose id starts with this are a view's bookkeeping (how far it got), not part of its content: a view
# rebuilt from the log may hold them at another position, so comparisons leave them out.
META_PREFIX = "~"

# Every read of a person's path is a lookup by _id, or by a list of them (the only filters FerretDB serves without
# reading the whole collection), so each view's ids are computed from what the request knows:
DIRECTORY_CHUNKS = 64
DIRECTORY_VERSIONS = "~versions"
# A user's catch-up entries, numbered in log order, one document each; each run of this many (from a multiple of it)
# is also sealed into one bucket document once complete, and the user's head holds how many entries are sealed (at
# most this far behind the count). A catch-up reads the buckets below the head and the few entries past it.
CATCHUP_BUCKET = 16
CATCHUP_THROUGH = "~through"
# A conversation's messages from seq ``bucket * HISTORY_BUCKET + 1`` to ``(bucket + 1) * HISTORY_BUCKET``, once all
# there, are one bucket document and no longer loose ones: a history page of 50 reads four buckets and the few
# newest messages past them, not 50 documents.
HISTORY_BUCKET = 16

CATALOG = "view_catalog"
# How often readers look at the catalog; a replaced collection is kept a few of these before it is dropped.
CATALOG_REFRESH_SECONDS = 1.0


class ViewCatalog:
    """The collection serving each read model: ``catalog[USERS]`` is the live ``users`` view.

    ``names`` overrides the catalog (a rebuild writes into its own new collections this way).
    """

    def __init__(self, db: AsyncDatabase[dict[str, Any]], names: Mapping[str, str] | None = None) -> None:
        self.db = db
        self._names: dict[str, str] = dict(names or {})
        self._fixed = names is not None
        # Reads events of the log by position (set where the log is at hand): a projection that must apply events
        # strictly in order fills a gap in what the bus delivered with it.
        self.read_positions: Callable[[Iterable[int]], Awaitable[list[Envelope]]] | None = None

    def __getitem__(self, model: str) -> AsyncCollection[dict[str, Any]]:
        return self.db[self.name(model)]

    def name(self, model: str) -> str:
        """The physical collection now serving ``model``."""
        return self._names.get(model, model)

    async def refresh(self) -> None:
        if not self._fixed:
            self._names = {doc["_id"]: doc["collection"] async for doc in self.db[CATALOG].find()}

    async def switch(self, model: str, collection: str) -> None:
        """Make ``collection`` the live view of ``model``."""
        await self.db[CATALOG].replace_one({"_id": model}, {"_id": model, "collection": collection}, upsert=True)
        self._names[model] = collection

    async def keep_fresh(self, stop: asyncio.Event, interval: float = CATALOG_REFRESH_SECONDS) -> None:
        """Refresh until ``stop``: a reader follows a switch within ``interval``."""
        while not stop.is_set():
            try:
                await self.refresh()
            except Exception as exc:  # the database is away; keep the names we have
                log.warning("could not refresh the view catalog", extra={"error": repr(exc)})
            await woken(stop, interval)


def summary_id(owner_id: str, peer_id: str) -> str:
    """One conversation summary per owner and peer."""
    return f"{owner_id}:{peer_id}"


def history_id(conversation_id: str, seq: int) -> str:
    """A message of the history: written once (an insert), found by its conversation and seq."""
    return f"{conversation_id}|{seq:010d}"


def history_bucket(seq: int) -> int:
    """The bucket holding the message of this seq (seqs start at 1)."""
    return (seq - 1) // HISTORY_BUCKET


def history_bucket_id(conversation_id: str, bucket: int) -> str:
    """The sealed messages of ``bucket`` (see ``history_bucket``): written once, when the last of them is there."""
    return f"{conversation_id}|b{bucket:010d}"


def directory_chunk(user_id: str) -> int:
    return zlib.crc32(user_id.encode()) % DIRECTORY_CHUNKS


def directory_chunk_id(chunk: int) -> str:
    return f"chunk:{chunk:02d}"


def catchup_entry_id(user_id: str, number: int) -> str:
    return f"{user_id}|{number:010d}"


def catchup_bucket_id(user_id: str, bucket: int) -> str:
    """The sealed entries ``bucket * CATCHUP_BUCKET`` to ``(bucket + 1) * CATCHUP_BUCKET - 1`` of a user."""
    return f"{user_id}|b{bucket:010d}"


def public_user(doc: dict[str, Any]) -> dict[str, Any]:
    """A user as other users see it in the sidebar."""
    return {
        "id": doc["_id"],
        "name": doc["name"],
        "avatar": doc.get("avatar"),
        "online": bool(doc.get("online", False)),
        "last_seen": doc.get("last_seen"),
    }

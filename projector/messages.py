"""The ``messages`` read model: every message, per conversation, ordered by ``seq``."""

from __future__ import annotations

import asyncio

from pymongo import ASCENDING

from projector.bulk import insert_new
from shared.conversations import message_payload
from shared.events import Envelope, MessageSent
from shared.views import MESSAGES, ViewCatalog

# Inserts a rebuild keeps in flight: the database converts one batch while it stores the other.
_REBUILD_INSERTS = 2


class MessagesProjection:
    name = "messages"
    models: tuple[str, ...] = (MESSAGES,)

    def __init__(self, views: ViewCatalog) -> None:
        self.messages = views[MESSAGES]
        self._rebuilding = False
        self._inserts: set[asyncio.Task[None]] = set()
        self._slots = asyncio.Semaphore(_REBUILD_INSERTS)
        self._failure: BaseException | None = None

    async def ensure_indexes(self) -> None:
        if self._rebuilding:
            return  # built once the rebuild's inserts are done: cheaper than keeping it up to date meanwhile
        await self.messages.create_index(
            [("conversation_id", ASCENDING), ("seq", ASCENDING)], unique=True, name="conversation_seq"
        )

    def begin_rebuild(self) -> None:
        """Messages are only ever inserted: a rebuild writes each batch as it goes, a couple at a time."""
        self._rebuilding = True

    async def flush(self) -> None:
        await asyncio.gather(*self._inserts)
        if self._failure is not None:
            raise self._failure
        self._rebuilding = False
        await self.ensure_indexes()

    async def apply_batch(self, events: list[Envelope]) -> None:
        docs = []
        for event in events:
            if event.type == MessageSent.event_type:
                payload = message_payload(event)
                docs.append({"_id": payload.pop("id"), **payload})
        if not self._rebuilding:
            # Keyed by message id: a message applied again is skipped.
            await insert_new(self.messages, docs)
            return
        if self._failure is not None:
            raise self._failure
        await self._slots.acquire()
        task = asyncio.get_running_loop().create_task(self._insert(docs))
        self._inserts.add(task)
        task.add_done_callback(self._inserts.discard)

    async def _insert(self, docs: list[dict[str, object]]) -> None:
        try:
            await insert_new(self.messages, docs)
        except BaseException as exc:  # reported by flush: the rebuild fails rather than leave a message out
            self._failure = exc
        finally:
            self._slots.release()

"""The ``messages`` read model: each conversation's history in buckets of ``HISTORY_BUCKET`` messages.

A bucket's ``_id`` is computed from the conversation and a ``seq`` (``shared.views.history_bucket_id``), so a
history page is a lookup of one to three documents by ``_id`` whatever the size of the instance. Messages in a
bucket are kept ordered by ``seq`` and unique by it: applying a message twice, or messages out of order, ends in
the same document.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from projector.bulk import ViewDocuments
from shared.conversations import message_payload
from shared.events import Envelope, MessageSent
from shared.views import HISTORY_BUCKET, MESSAGES, ViewCatalog, history_bucket, history_bucket_id


class MessagesProjection:
    name = "messages"
    models: tuple[str, ...] = (MESSAGES,)

    def __init__(self, views: ViewCatalog) -> None:
        self.buckets = ViewDocuments(views[MESSAGES], limit=2_000)

    async def ensure_indexes(self) -> None:
        """Read by ``_id`` only."""

    def begin_rebuild(self) -> None:
        self.buckets.begin_rebuild()

    async def flush(self) -> None:
        await self.buckets.flush()

    async def apply_batch(self, events: list[Envelope]) -> None:
        payloads = [message_payload(e) for e in events if e.type == MessageSent.event_type]
        if not payloads:
            return
        ids = [history_bucket_id(p["conversation_id"], history_bucket(p["seq"])) for p in payloads]
        await self.buckets.load(ids)
        changed: dict[str, dict[str, Any]] = {}
        for bucket_id, payload in zip(ids, payloads, strict=True):
            doc = self.buckets.edit(bucket_id, changed, _empty(bucket_id, payload))
            stored = {m["seq"] for m in doc["messages"]}
            if payload["seq"] not in stored:
                message = {"_id": payload.pop("id"), **payload}
                doc["messages"].append(message)
                if len(stored) and message["seq"] < max(stored):
                    doc["messages"].sort(key=lambda m: m["seq"])
        await self.buckets.write(changed)
        if self.buckets.rebuilding:
            # A rebuild reads the log in order: a full bucket gets no more messages.
            await self.buckets.release([i for i, d in changed.items() if len(d["messages"]) >= HISTORY_BUCKET])


def _empty(bucket_id: str, payload: dict[str, Any]) -> Callable[[], dict[str, Any]]:
    return lambda: {
        "_id": bucket_id,
        "conversation_id": payload["conversation_id"],
        "bucket": history_bucket(payload["seq"]),
        "messages": [],
    }

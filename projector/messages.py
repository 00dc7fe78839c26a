"""The ``messages`` read model: each conversation's history, one document per message.

A message's ``_id`` is computed from its conversation and ``seq`` (``shared.views.history_id``), so a history page
is one read of the ids of its seqs, whatever the size of the instance. The message itself is stored as served, one
JSON string (``shared.conversations.packed``). Each message is written once, by an insert: applying it twice, or
messages out of order, ends in the same documents.
"""

from __future__ import annotations

from shared.conversations import message_payload, packed
from shared.events import Envelope, MessageSent
from shared.mongo import insert_new
from shared.views import MESSAGES, ViewCatalog, history_id

# Messages inserted by one command at most.
_CHUNK = 1000


class MessagesProjection:
    name = "messages"
    models: tuple[str, ...] = (MESSAGES,)

    def __init__(self, views: ViewCatalog) -> None:
        self.collection = views[MESSAGES]

    async def ensure_indexes(self) -> None:
        """Read by ``_id`` only."""

    def begin_rebuild(self) -> None:
        """Nothing to gather: a rebuild inserts as it goes, like the live projection."""

    async def flush(self) -> None:
        """Everything is written by ``apply_batch``."""

    async def apply_batch(self, events: list[Envelope]) -> None:
        docs = []
        for event in events:
            if event.type == MessageSent.event_type:
                payload = message_payload(event)
                docs.append(
                    {
                        "_id": history_id(payload["conversation_id"], payload["seq"]),
                        "seq": payload["seq"],
                        "message": packed(payload),
                    }
                )
        for start in range(0, len(docs), _CHUNK):
            await insert_new(self.collection, docs[start : start + _CHUNK])

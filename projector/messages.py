"""The ``messages`` read model: every message, per conversation, ordered by ``seq``."""

from __future__ import annotations

from pymongo import ASCENDING

from projector.bulk import insert_new
from shared.conversations import message_payload
from shared.events import Envelope, MessageSent
from shared.views import MESSAGES, ViewCatalog


class MessagesProjection:
    name = "messages"
    models: tuple[str, ...] = (MESSAGES,)

    def __init__(self, views: ViewCatalog) -> None:
        self.messages = views[MESSAGES]

    async def ensure_indexes(self) -> None:
        await self.messages.create_index(
            [("conversation_id", ASCENDING), ("seq", ASCENDING)], unique=True, name="conversation_seq"
        )

    def begin_rebuild(self) -> None:
        """Messages are only ever inserted: a rebuild writes each batch as it goes."""

    async def flush(self) -> None:
        pass

    async def apply_batch(self, events: list[Envelope]) -> None:
        docs = []
        for event in events:
            if event.type == MessageSent.event_type:
                payload = message_payload(event)
                docs.append({"_id": payload.pop("id"), **payload})
        # Keyed by message id: a message applied again is skipped.
        await insert_new(self.messages, docs)

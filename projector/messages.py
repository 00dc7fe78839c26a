"""The ``messages`` read model: every message, per conversation, ordered by ``seq``."""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

from shared.conversations import message_payload
from shared.events import Envelope, MessageSent
from shared.views import MESSAGES


class MessagesProjection:
    name = "messages"
    collections: tuple[str, ...] = (MESSAGES,)

    def __init__(self, views: AsyncDatabase[dict[str, Any]]) -> None:
        self.messages = views[MESSAGES]

    async def ensure_indexes(self) -> None:
        await self.messages.create_index(
            [("conversation_id", ASCENDING), ("seq", ASCENDING)], unique=True, name="conversation_seq"
        )

    async def apply(self, event: Envelope) -> None:
        if event.type == MessageSent.event_type:
            await self.on_message_sent(event)

    async def on_message_sent(self, event: Envelope) -> None:
        payload = message_payload(event)
        # Keyed by message id: applying it again writes the same document.
        await self.messages.replace_one({"_id": payload.pop("id")}, payload, upsert=True)

"""The ``conversations`` read model: per owner and peer, the last message, last activity and unread count."""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

from shared.conversations import message_payload
from shared.events import Envelope, MessageSent, MessagesRead
from shared.views import CONVERSATIONS, summary_id

# Unread seqs kept per summary; past this the count shows as this many (a badge says "999+" anyway).
MAX_UNREAD_TRACKED = 1000


def _empty(owner_id: str, peer_id: str, conversation_id: str) -> dict[str, Any]:
    return {
        "_id": summary_id(owner_id, peer_id),
        "owner_id": owner_id,
        "peer_id": peer_id,
        "conversation_id": conversation_id,
        "last_message": None,
        "last_seq": 0,
        "last_activity_at": None,
        "read_seq": 0,
        "peer_read_seq": 0,
        "unread_seqs": [],
        "unread": 0,
    }


class ConversationsProjection:
    """Read-modify-write per summary is safe: one consumer applies this projection's events one at a time.

    Every change is a max or a set union, so applying an event twice, or events of the two streams (messages and
    receipts) in either order, ends in the same document.
    """

    name = "conversations"
    collections: tuple[str, ...] = (CONVERSATIONS,)

    def __init__(self, views: AsyncDatabase[dict[str, Any]]) -> None:
        self.summaries = views[CONVERSATIONS]

    async def ensure_indexes(self) -> None:
        await self.summaries.create_index([("owner_id", ASCENDING)], name="owner")

    async def apply(self, event: Envelope) -> None:
        if event.type == MessageSent.event_type:
            await self.on_message_sent(event)
        elif event.type == MessagesRead.event_type:
            await self.on_messages_read(event)

    async def _load(self, owner_id: str, peer_id: str, conversation_id: str) -> dict[str, Any]:
        doc = await self.summaries.find_one({"_id": summary_id(owner_id, peer_id)})
        return doc or _empty(owner_id, peer_id, conversation_id)

    async def _save(self, doc: dict[str, Any]) -> None:
        doc["unread_seqs"] = sorted(s for s in doc["unread_seqs"] if s > doc["read_seq"])[-MAX_UNREAD_TRACKED:]
        doc["unread"] = len(doc["unread_seqs"])
        await self.summaries.replace_one({"_id": doc["_id"]}, doc, upsert=True)

    async def on_message_sent(self, event: Envelope) -> None:
        data = event.decode()
        assert isinstance(data, MessageSent)
        payload = message_payload(event)
        for owner, peer in ((data.sender_id, data.receiver_id), (data.receiver_id, data.sender_id)):
            doc = await self._load(owner, peer, data.conversation_id)
            if data.seq > doc["last_seq"]:
                doc.update(last_message=payload, last_seq=data.seq, last_activity_at=data.sent_at)
            if owner == data.receiver_id and data.seq > doc["read_seq"] and data.seq not in doc["unread_seqs"]:
                doc["unread_seqs"].append(data.seq)
            await self._save(doc)

    async def on_messages_read(self, event: Envelope) -> None:
        data = event.decode()
        assert isinstance(data, MessagesRead)
        mine = await self._load(data.reader_id, data.peer_id, data.conversation_id)
        mine["read_seq"] = max(mine["read_seq"], data.up_to_seq)
        await self._save(mine)
        theirs = await self._load(data.peer_id, data.reader_id, data.conversation_id)
        theirs["peer_read_seq"] = max(theirs["peer_read_seq"], data.up_to_seq)
        await self._save(theirs)

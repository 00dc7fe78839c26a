"""The ``conversations`` read model: per owner and peer, the last message, last activity and unread count."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from projector.bulk import ViewDocuments
from shared.conversations import message_payload
from shared.dispatch import EventHandlers
from shared.events import Envelope, MessageSent, MessagesRead
from shared.views import CONVERSATION_LISTS, CONVERSATIONS, ViewCatalog, summary_id

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
    """Every change is a max or a set union, so applying an event twice, or events of the two streams (messages
    and receipts) in either order, ends in the same document.
    """

    name = "conversations"
    models: tuple[str, ...] = (CONVERSATIONS, CONVERSATION_LISTS)
    # Gather half a second of events per write, so a busy conversation's summaries are written twice a second, not
    # once per message.
    # Clients see new messages from the socket at once; this only delays what a refetch returns.
    linger = 0.5

    def __init__(self, views: ViewCatalog) -> None:
        self.summaries = ViewDocuments(views[CONVERSATIONS])
        # Per owner, every peer with the last activity: the sidebar's conversations, read with one lookup.
        self.lists = ViewDocuments(views[CONVERSATION_LISTS], limit=20_000)
        self.handlers = EventHandlers[dict[str, dict[str, Any]], None]()
        self.handlers.on(MessageSent, self._on_message_sent)
        self.handlers.on(MessagesRead, self._on_messages_read)

    async def ensure_indexes(self) -> None:
        """Read by ``_id`` only."""

    def begin_rebuild(self) -> None:
        self.summaries.begin_rebuild()
        self.lists.begin_rebuild()

    async def flush(self) -> None:
        await self.summaries.flush()
        await self.lists.flush()

    async def apply_batch(self, events: list[Envelope]) -> None:
        relevant = [e for e in events if self.handlers.handles(e)]
        if not relevant:
            return
        ids = []
        for event in relevant:
            a, b = _pair(event)
            ids += [summary_id(a, b), summary_id(b, a)]
        await self.summaries.load(ids)
        changed: dict[str, dict[str, Any]] = {}
        for event in relevant:
            self.handlers(event, changed)
        for doc in changed.values():
            doc["unread_seqs"] = sorted(s for s in doc["unread_seqs"] if s > doc["read_seq"])[-MAX_UNREAD_TRACKED:]
            doc["unread"] = len(doc["unread_seqs"])
        await self._list_activity([d for d in changed.values() if d["last_activity_at"] is not None])
        await self.summaries.write(changed)

    async def _list_activity(self, summaries: list[dict[str, Any]]) -> None:
        """Each owner's list of peers follows the summaries' last activity (most recent first)."""
        await self.lists.load([d["owner_id"] for d in summaries])
        changed: dict[str, dict[str, Any]] = {}
        for summary in summaries:
            owner, peer, at = summary["owner_id"], summary["peer_id"], summary["last_activity_at"]
            known = changed.get(owner) or self.lists.docs.get(owner)
            entry = next((e for e in known["peers"] if e["peer_id"] == peer), None) if known else None
            if entry is not None and entry["at"] == at:
                continue
            doc = self.lists.edit(owner, changed, _empty_list(owner))
            entry = next((e for e in doc["peers"] if e["peer_id"] == peer), None)
            if entry is None:
                doc["peers"].append({"peer_id": peer, "at": at})
            else:
                entry["at"] = at
        for doc in changed.values():
            doc["peers"].sort(key=_recent_first)
        await self.lists.write(changed)

    def _doc(self, owner: str, peer: str, conversation_id: str, changed: dict[str, dict[str, Any]]) -> dict[str, Any]:
        return self.summaries.edit(summary_id(owner, peer), changed, lambda: _empty(owner, peer, conversation_id))

    def _on_message_sent(self, event: Envelope, data: MessageSent, changed: dict[str, dict[str, Any]]) -> None:
        payload = message_payload(event)
        for owner, peer in ((data.sender_id, data.receiver_id), (data.receiver_id, data.sender_id)):
            doc = self._doc(owner, peer, data.conversation_id, changed)
            if data.seq > doc["last_seq"]:
                doc.update(last_message=payload, last_seq=data.seq, last_activity_at=data.sent_at)
            if owner == data.receiver_id and data.seq > doc["read_seq"] and data.seq not in doc["unread_seqs"]:
                doc["unread_seqs"].append(data.seq)

    def _on_messages_read(self, event: Envelope, data: MessagesRead, changed: dict[str, dict[str, Any]]) -> None:
        mine = self._doc(data.reader_id, data.peer_id, data.conversation_id, changed)
        mine["read_seq"] = max(mine["read_seq"], data.up_to_seq)
        theirs = self._doc(data.peer_id, data.reader_id, data.conversation_id, changed)
        theirs["peer_read_seq"] = max(theirs["peer_read_seq"], data.up_to_seq)


def _empty_list(owner: str) -> Callable[[], dict[str, Any]]:
    return lambda: {"_id": owner, "peers": []}


def _recent_first(entry: dict[str, Any]) -> tuple[float, str]:
    return (-entry["at"].timestamp(), entry["peer_id"])


def _pair(event: Envelope) -> tuple[str, str]:
    data = event.data
    if event.type == MessageSent.event_type:
        return data["sender_id"], data["receiver_id"]
    return data["reader_id"], data["peer_id"]

"""The shapes of messages and reads as clients see them (built from events); conversation ids are in
shared/streams.py."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from shared.events import Envelope, MessageSent, MessagesRead


def message_payload(event: Envelope) -> dict[str, Any]:
    """The client's ``Message`` from a ``MessageSent`` event (media URLs are signed by whoever serves it)."""
    data = event.decode()
    assert isinstance(data, MessageSent)
    return {
        "id": data.message_id,
        "seq": data.seq,
        "position": event.position,
        "conversation_id": data.conversation_id,
        "sender_id": data.sender_id,
        "receiver_id": data.receiver_id,
        "type": data.type,
        "text": data.text,
        "media": data.media,
        "client_msg_id": data.client_msg_id,
        "sent_at": data.sent_at,
    }


def read_payload(event: Envelope) -> dict[str, Any]:
    data = event.decode()
    assert isinstance(data, MessagesRead)
    return {
        "conversation_id": data.conversation_id,
        "reader_id": data.reader_id,
        "peer_id": data.peer_id,
        "up_to_seq": data.up_to_seq,
        "read_at": data.read_at,
        "position": event.position,
    }


def catchup_entry(event: Envelope) -> tuple[list[str], dict[str, Any]] | None:
    """Whom an event concerns and the entry they catch up on; None for events no client catches up on."""
    if event.type == MessageSent.event_type:
        message = message_payload(event)
        return [message["sender_id"], message["receiver_id"]], {"position": event.position, "message": message}
    if event.type == MessagesRead.event_type:
        read = read_payload(event)
        return [read["reader_id"], read["peer_id"]], {"position": event.position, "read": read}
    return None


def packed(payload: Mapping[str, Any]) -> str:
    """A message or receipt as the history and catch-up views store it: one JSON string, not a subdocument.

    These views are only ever read whole, by ``_id``. FerretDB decodes a stored document field by field, which was
    half of a history page's cost (50 messages of a dozen fields each); one string per message halves it, and the
    query API parses it in C. MongoDB reads it as cheaply."""
    return orjson.dumps(payload).decode()


def unpacked(stored: str | Mapping[str, Any]) -> dict[str, Any]:
    """The payload of ``packed`` (or the subdocument itself, as views built before packing hold it)."""
    return orjson.loads(stored) if isinstance(stored, str) else dict(stored)

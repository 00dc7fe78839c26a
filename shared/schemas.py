"""What clients receive, in one place: the HTTP answers of both APIs and the Socket.IO payloads.

The models document the OpenAPI schemas of both APIs; ``SOCKET_EVENTS`` names the payload of each socket event,
and the web client's types are generated from both (frontend/src/api/generated/, ``make api-types``). A field with
a default is still always sent (``null`` when empty), so it is required in the schemas: a client never has to
allow for a field that is missing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Out(BaseModel):
    """A shape a client receives: every field is always present in what is sent."""

    model_config = ConfigDict(json_schema_serialization_defaults_required=True)


class MediaOut(Out):
    id: str
    name: str
    size: int
    mime: str
    kind: Literal["image", "video", "audio", "file"]
    width: int | None = None
    height: int | None = None
    url: str
    thumbnail_url: str | None = None


class MessageOut(Out):
    id: str
    seq: int
    position: int
    conversation_id: str
    sender_id: str
    receiver_id: str
    type: Literal["text", "image", "video", "audio", "file"]
    text: str
    media: MediaOut | None = None
    client_msg_id: str
    sent_at: datetime


class ReadOut(Out):
    conversation_id: str
    reader_id: str
    peer_id: str
    up_to_seq: int
    read_at: datetime
    position: int


class MessageResponse(Out):
    message: MessageOut


class ReadResponse(Out):
    read: ReadOut


# -- people ----------------------------------------------------------------------------------------------------------


class UserOut(Out):
    """A person as others see them: in the sidebar, in a conversation's header, in a ``user`` push."""

    id: str
    name: str
    # A signed URL of the avatar's thumbnail (usable as <img src>), or null.
    avatar: str | None = None
    online: bool = False
    last_seen: datetime | None = None


class OwnUserOut(UserOut):
    """The signed-in person: as others see them, and their email."""

    email: str


class ConversationSummaryOut(Out):
    conversation_id: str
    last_message: MessageOut | None = None
    last_activity_at: datetime | None = None
    unread: int = 0
    read_seq: int = 0
    peer_read_seq: int = 0


class SidebarUserOut(UserOut):
    """A person in the sidebar: the person, and our conversation if there is one."""

    conversation: ConversationSummaryOut | None = None


# -- Socket.IO payloads (docs/api.md, "Socket.IO") ------------------------------------------------------------------


class UserChangeOut(Out):
    """A ``user`` push for a changed name or avatar: only what changed; clients merge it into the person."""

    id: str
    name: str
    avatar: str | None = None


class PresenceOut(Out):
    user_id: str
    online: bool
    last_seen: datetime | None = None


class PresencesOut(Out):
    """Several presence changes of one moment, in order."""

    changes: list[PresenceOut]


class TypingOut(Out):
    """Someone is typing to you: ``from`` is their user id."""

    sender: str = Field(alias="from")


class ResyncOut(Out):
    """Catch up from ``after`` (null: from wherever the client is): this node missed events while the bus was away."""

    after: int | None = None


class SessionEndedOut(Out):
    reason: str


# The payload of each event the server emits on a socket. tests/conftest.py validates every payload the tests'
# sockets receive against it; frontend/src/api/generated/socket.ts is generated from it.
SOCKET_EVENTS: dict[str, Any] = {
    "message": MessageOut,
    "read": ReadOut,
    # A new person (all of UserOut) or a changed profile (UserChangeOut).
    "user": UserOut | UserChangeOut,
    "presence": PresenceOut,
    "presences": PresencesOut,
    "typing": TypingOut,
    "resync": ResyncOut,
    "session_ended": SessionEndedOut,
}


def socket_payload(model: Out) -> dict[str, Any]:
    """A socket event's payload from its model (datetimes left to the socket's encoder: ISO 8601 with Z)."""
    return model.model_dump(by_alias=True)

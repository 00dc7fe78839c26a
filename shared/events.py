"""Event contracts: the envelope, one pydantic model per event type, and upcasting of old data shapes.

Every event type has an explicit, stable ``event_type`` string and a ``schema_version`` number. Events are never
rewritten: when a data shape changes, the model gets a new ``schema_version`` and an upcaster ``vN -> vN+1`` is
registered in ``UPCASTERS``; old events are upcast every time they are read (from the store or the bus).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal

import orjson
from pydantic import BaseModel, ConfigDict


class EventData(BaseModel):
    """Base of every event's data. Holds ids and values, never whole read models."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_type: ClassVar[str]
    schema_version: ClassVar[int] = 1


class UserRegistered(EventData):
    event_type = "UserRegistered"

    user_id: str
    name: str
    email: str
    # bcrypt hash; never leaves the command side and is redacted from audit output.
    password_hash: str


MessageType = Literal["text", "image", "video", "audio", "file"]


class MessageSent(EventData):
    event_type = "MessageSent"

    message_id: str
    conversation_id: str
    seq: int
    sender_id: str
    receiver_id: str
    type: MessageType
    text: str
    media: dict[str, Any] | None = None
    client_msg_id: str
    sent_at: datetime


class MessagesRead(EventData):
    event_type = "MessagesRead"

    conversation_id: str
    reader_id: str
    peer_id: str
    up_to_seq: int
    read_at: datetime


MediaKind = Literal["image", "video", "audio", "file"]


class MediaUploaded(EventData):
    """An upload stored (stream ``media:<media_id>``). ``sha256``/``size`` are of the bytes served (images are
    re-encoded without metadata); ``name`` is the sanitised display name, never a path."""

    event_type = "MediaUploaded"

    media_id: str
    uploader_id: str
    sha256: str
    name: str
    size: int
    mime: str
    kind: MediaKind
    width: int | None = None
    height: int | None = None
    thumbnail_sha256: str | None = None


class UserProfileUpdated(EventData):
    """The user's profile after the change (stream ``user:<user_id>``); ``avatar_media_id`` None: no avatar."""

    event_type = "UserProfileUpdated"

    user_id: str
    name: str
    avatar_media_id: str | None = None


class AdminGranted(EventData):
    """An operator made the account an admin (``parley admin grant``; stream ``admin:<user_id>``). ``by`` names the
    operator as the command found it (user and host), for the audit trail."""

    event_type = "AdminGranted"

    user_id: str
    email: str
    by: str


class AdminRevoked(EventData):
    """An operator took the account's admin rights away (``parley admin revoke``; stream ``admin:<user_id>``)."""

    event_type = "AdminRevoked"

    user_id: str
    email: str
    by: str


PresenceReason = Literal["connected", "disconnected", "node_expired"]


class PresenceChanged(EventData):
    """A user went online or offline (stream ``presence:<user_id>``).

    Schema 2 added ``reason``, so that an operator can tell a closed tab from a crashed realtime node; schema 1
    events are upcast by ``_presence_v1_to_v2``.
    """

    event_type = "PresenceChanged"
    schema_version = 2

    user_id: str
    online: bool
    last_seen: datetime
    reason: PresenceReason


class SessionEnded(EventData):
    """One session (one login and its renewals) logged out (stream ``sessions:<user_id>``)."""

    event_type = "SessionEnded"

    user_id: str
    session_id: str
    reason: Literal["logout"]


AllSessionsEndedReason = Literal["logout_everywhere", "password_changed"]


class AllSessionsEnded(EventData):
    """Every session of the user older than ``generation`` ended (stream ``sessions:<user_id>``), except
    ``kept_session_id`` (the session that changed the password goes on)."""

    event_type = "AllSessionsEnded"

    user_id: str
    generation: int
    kept_session_id: str | None = None
    reason: AllSessionsEndedReason


class PasswordChanged(EventData):
    """The user's new password (stream ``credentials:<user_id>``); the hash never leaves the command side."""

    event_type = "PasswordChanged"

    user_id: str
    password_hash: str


# The one place that says which classes are events; nothing is discovered by module path.
EVENT_TYPES: dict[str, type[EventData]] = {
    cls.event_type: cls
    for cls in (
        UserRegistered,
        MessageSent,
        MessagesRead,
        PresenceChanged,
        MediaUploaded,
        UserProfileUpdated,
        SessionEnded,
        AllSessionsEnded,
        PasswordChanged,
        AdminGranted,
        AdminRevoked,
    )
}

# Data fields that are secret: stored in the log for the command side, never printed or served.
SECRET_FIELDS = frozenset({"password_hash"})

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]


def _presence_v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    """Schema 1 did not say why: going online was a connection, going offline a disconnection (crashed nodes
    were not told apart then)."""
    return {**data, "reason": "connected" if data["online"] else "disconnected"}


# (event type, schema it reads) -> function returning the data in schema + 1.
UPCASTERS: dict[tuple[str, int], Upcaster] = {
    (PresenceChanged.event_type, 1): _presence_v1_to_v2,
}


class UnknownEventType(ValueError):
    """An event whose type this code does not know (a newer writer, or a corrupt record)."""


def upcast(event_type: str, schema: int, data: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """Bring ``data`` written with ``schema`` up to the current schema of its event type."""
    cls = EVENT_TYPES.get(event_type)
    if cls is None:
        raise UnknownEventType(event_type)
    while schema < cls.schema_version:
        step = UPCASTERS.get((event_type, schema))
        if step is None:
            raise ValueError(f"no upcaster for {event_type} v{schema}")
        data = step(data)
        schema += 1
    return schema, data


def position_id(position: int) -> str:
    """The event store's ``_id`` for a position: zero-padded so that string order is position order."""
    return f"{position:016d}"


def now() -> datetime:
    """The current UTC time at millisecond precision (what BSON dates keep), so round trips are exact."""
    t = datetime.now(UTC)
    return t.replace(microsecond=t.microsecond // 1000 * 1000)


def new_id() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event decided by the command side, not yet stored."""

    stream: str
    data: EventData
    actor_id: str | None = None
    # A retried command with the same key returns the first event instead of appending a second one.
    idempotency_key: str | None = None
    correlation_id: str | None = None
    causation_id: str | None = None
    id: str = field(default_factory=new_id)
    occurred_at: datetime = field(default_factory=now)
    # Whether the appender waits for the log's index entries of the event (written right after it, see
    # shared/stream_index.py) or only for the event itself. Waiting means that once the command is answered, any
    # process finds the event by its key or its stream's head by ``_id`` (a sign-up, then a login on another
    # instance, or an upload, then a message with it). False saves the answer one database round trip, for events
    # no command looks up right after the answer: a presence transition (only pushed), a message (its receipt comes
    # from the reader's client after the push, and a receipt past what an instance knows looks again). Other
    # processes may find the index behind the log for that moment either way, and allow for it.
    indexed_before_answer: bool = True


@dataclass(frozen=True, slots=True)
class Envelope:
    """A stored event: the envelope of DESIGN.md with its data already upcast to the current schema."""

    id: str
    type: str
    schema: int
    stream: str
    stream_version: int
    position: int
    occurred_at: datetime
    actor_id: str | None
    correlation_id: str | None
    causation_id: str | None
    data: dict[str, Any]
    # The typed data, made on first use (several projections and pushes read one event; models are frozen).
    _decoded: EventData | None = field(default=None, compare=False, repr=False)

    @property
    def position_key(self) -> str:
        """The store's ``_id`` for this event."""
        return position_id(self.position)

    def decode(self) -> EventData:
        """The typed data of this event."""
        if self._decoded is not None:
            return self._decoded
        cls = EVENT_TYPES.get(self.type)
        if cls is None:
            raise UnknownEventType(self.type)
        decoded = cls.model_validate(self.data)
        object.__setattr__(self, "_decoded", decoded)  # a cache, not a change: the envelope stays equal
        return decoded

    def public_data(self) -> dict[str, Any]:
        """The data without secret fields, for audit output and anything that leaves the command side."""
        return {k: v for k, v in self.data.items() if k not in SECRET_FIELDS}

    def to_json(self) -> bytes:
        return orjson.dumps(
            {
                "id": self.id,
                "type": self.type,
                "schema": self.schema,
                "stream": self.stream,
                "stream_version": self.stream_version,
                "position": self.position,
                "occurred_at": self.occurred_at,
                "actor_id": self.actor_id,
                "correlation_id": self.correlation_id,
                "causation_id": self.causation_id,
                "data": self.data,
            }
        )

    @classmethod
    def from_json(cls, raw: bytes | str) -> Envelope:
        obj = orjson.loads(raw)
        obj["occurred_at"] = datetime.fromisoformat(obj["occurred_at"])
        return cls.from_mapping(obj, id_key="id")

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> Envelope:
        """From the event store's document (whose ``_id`` is the position)."""
        return cls.from_mapping(doc, id_key="event_id")

    @classmethod
    def from_mapping(cls, obj: dict[str, Any], *, id_key: str) -> Envelope:
        schema, data = upcast(obj["type"], int(obj["schema"]), obj["data"])
        occurred_at: datetime = obj["occurred_at"]
        if occurred_at.tzinfo is None:  # BSON dates come back naive, in UTC
            occurred_at = occurred_at.replace(tzinfo=UTC)
        return cls(
            id=obj[id_key],
            type=obj["type"],
            schema=schema,
            stream=obj["stream"],
            stream_version=int(obj["stream_version"]),
            position=int(obj["position"]),
            occurred_at=occurred_at,
            actor_id=obj.get("actor_id"),
            correlation_id=obj.get("correlation_id"),
            causation_id=obj.get("causation_id"),
            data=data,
        )

"""Reading the event log for audit: which events, in position order, shown without secrets.

One ``AuditFilter`` serves the admin API (a database query, sorted and paged there) and ``parley audit`` (one
pass over the log, filtered here), so both select exactly the same events.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo import ASCENDING

from shared.event_store import EventStore
from shared.events import Envelope, UserRegistered, position_id

# Where an event names a user: its author, and the data fields that say whom it concerns.
USER_FIELDS = (
    "actor_id",
    "data.user_id",
    "data.sender_id",
    "data.receiver_id",
    "data.reader_id",
    "data.peer_id",
    "data.uploader_id",
)


@dataclass(frozen=True, slots=True)
class AuditFilter:
    user_id: str | None = None
    types: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    # Only events after this position (the page cursor).
    after: int = 0

    def query(self) -> dict[str, Any]:
        """The same selection as ``matches``, as a MongoDB filter."""
        query: dict[str, Any] = {}
        if self.after:
            query["_id"] = {"$gt": position_id(self.after)}
        if self.types:
            query["type"] = {"$in": list(self.types)}
        when: dict[str, datetime] = {}
        if self.since is not None:
            when["$gte"] = self.since
        if self.until is not None:
            when["$lt"] = self.until
        if when:
            query["occurred_at"] = when
        if self.user_id is not None:
            query["$or"] = [{field: self.user_id} for field in USER_FIELDS]
        return query

    def matches(self, event: Envelope) -> bool:
        if event.position <= self.after or (self.types and event.type not in self.types):
            return False
        if (self.since is not None and event.occurred_at < self.since) or (
            self.until is not None and event.occurred_at >= self.until
        ):
            return False
        if self.user_id is None:
            return True
        return event.actor_id == self.user_id or any(
            event.data.get(field.removeprefix("data.")) == self.user_id for field in USER_FIELDS[1:]
        )


def audit_record(event: Envelope) -> dict[str, Any]:
    """An event as audit shows it: the envelope and its data, secrets left out."""
    return {
        "id": event.id,
        "type": event.type,
        "schema": event.schema,
        "position": event.position,
        "stream": event.stream,
        "stream_version": event.stream_version,
        "occurred_at": event.occurred_at,
        "actor_id": event.actor_id,
        "correlation_id": event.correlation_id,
        "causation_id": event.causation_id,
        "data": event.public_data(),
    }


async def page(store: EventStore, selection: AuditFilter, limit: int) -> list[Envelope]:
    """The first ``limit`` selected events in position order (the database sorts and stops)."""
    cursor = store.events.find(selection.query()).sort("_id", ASCENDING).limit(limit)
    return [Envelope.from_document(doc) async for doc in cursor]


async def every(store: EventStore, selection: AuditFilter) -> AsyncIterator[Envelope]:
    """Every selected event in position order, from one pass over the log."""
    async for event in store.scan(after_position=selection.after):
        if selection.matches(event):
            yield event


async def find_user_id(store: EventStore, email: str) -> str | None:
    """The id of the account registered with this email (emails are stored trimmed and lower-case)."""
    doc = await store.events.find_one(
        {"type": UserRegistered.event_type, "data.email": email.strip().lower()}, projection={"data.user_id": 1}
    )
    return str(doc["data"]["user_id"]) if doc else None

"""Reading the event log for audit: which events, in position order, shown without secrets.

One ``AuditFilter`` serves the admin API (a page: a pass over the log from its cursor that stops once the page is
full) and ``parley audit`` (one pass over the whole log), so both select exactly the same events, and neither asks
the database to sort (FerretDB would sort the whole selection in memory).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.accounts import email_key
from shared.event_reader import EventReader
from shared.events import Envelope

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


async def page(store: EventReader, selection: AuditFilter, limit: int) -> list[Envelope]:
    """The first ``limit`` selected events in position order: one pass over the log from the cursor that stops as
    soon as the page is full (no sort in the database, memory bounded by the page)."""
    found: list[Envelope] = []
    async for event in every(store, selection):
        found.append(event)
        if len(found) >= limit:
            break
    return found


async def every(store: EventReader, selection: AuditFilter) -> AsyncIterator[Envelope]:
    """Every selected event in position order, from one pass over the log."""
    async for event in store.scan(after_position=selection.after):
        if selection.matches(event):
            yield event


async def find_user_id(store: EventReader, email: str) -> str | None:
    """The id of the account registered with this email (by ``_id`` in the log's index)."""
    event = await store.find_by_idempotency_key(email_key(email), exhaustive=False)
    return str(event.data["user_id"]) if event else None

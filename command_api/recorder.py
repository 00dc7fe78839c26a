"""Append an event and hand it to the outbox: the one path every command takes to the log and the bus."""

from __future__ import annotations

from shared.event_store import AppendResult, EventStore
from shared.events import NewEvent
from shared.outbox import Outbox


class Recorder:
    def __init__(self, store: EventStore, outbox: Outbox) -> None:
        self.store = store
        self.outbox = outbox

    async def record(self, new: NewEvent, *, expected_version: int | None = None) -> AppendResult:
        """Append at ``expected_version`` (or at the stream's end when None), then publish if it is new."""
        if expected_version is None:
            result = await self.store.append_next(new)
        else:
            result = await self.store.append(new, expected_version=expected_version)
        if result.created:
            await self.outbox.publish(result.event)
        return result

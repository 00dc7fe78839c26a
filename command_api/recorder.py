"""Append an event and hand it to the outbox: the one path every command takes to the log and the bus."""

from __future__ import annotations

from collections.abc import Callable

from shared.event_log import AppendResult
from shared.event_store import EventStore
from shared.events import NewEvent
from shared.outbox import Outbox


class Recorder:
    def __init__(self, store: EventStore, outbox: Outbox) -> None:
        self.store = store
        self.outbox = outbox

    async def record(self, new: NewEvent, *, expected_version: int) -> AppendResult:
        """Append at ``expected_version``, then publish if it is new."""
        result = await self.store.append(new, expected_version=expected_version)
        return await self._published(result)

    async def record_next(self, stream: str, build: Callable[[int], NewEvent]) -> AppendResult:
        """Append ``build(next version)`` at the end of ``stream``, then publish if it is new."""
        return await self._published(await self.store.append_next(stream, build))

    async def _published(self, result: AppendResult) -> AppendResult:
        if result.created:
            self.outbox.publish(result.event)
        return result

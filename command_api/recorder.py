"""Append an event and hand it to the outbox: the one path every command takes to the log and the bus.

``decide`` is the one load → decide → append loop of the command side: a handler loads what its decision needs,
decides, and the recorder appends on top of the version the decision was made on. When another writer appended to
the stream first, what this process remembers of the stream is dropped and the handler decides again on what is
there now, a few times at most (then the caller hears ``ConcurrencyError``: 409).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from shared.event_log import AppendResult, ConcurrencyError, EventLog
from shared.events import Envelope, NewEvent

# Lost races in a row before a command gives up. A stream is one person's (a profile, a reader's receipts, a
# presence), so more than one is rare: two tabs, or two instances settling one presence at once.
DECIDE_ATTEMPTS = 5


class Publisher(Protocol):
    def publish(self, event: Envelope) -> None:
        """Hand over a freshly appended event for publishing; returns at once."""
        ...


@dataclass(frozen=True, slots=True)
class Decision:
    """What a handler decided on the state it loaded: ``new`` to append on top of ``expected_version`` (the version
    of its stream the decision saw), or None when there is nothing to append."""

    new: NewEvent | None
    expected_version: int


class Recorder:
    def __init__(self, store: EventLog, outbox: Publisher) -> None:
        self.store = store
        self.outbox = outbox

    async def record(self, new: NewEvent, *, expected_version: int) -> AppendResult:
        """Append at ``expected_version``, then publish if it is new."""
        result = await self.store.append(new, expected_version=expected_version)
        return await self._published(result)

    async def record_next(self, stream: str, build: Callable[[int], NewEvent]) -> AppendResult:
        """Append ``build(next version)`` at the end of ``stream``, then publish if it is new."""
        return await self._published(await self.store.append_next(stream, build))

    async def decide(
        self, decide: Callable[[], Awaitable[Decision]], *, attempts: int = DECIDE_ATTEMPTS
    ) -> AppendResult | None:
        """Load and decide with ``decide``, append what it decided; again on what is there after a lost race.
        None when the decision was to append nothing."""
        lost: ConcurrencyError | None = None
        for _ in range(attempts):
            decision = await decide()
            if decision.new is None:
                return None
            try:
                return await self.record(decision.new, expected_version=decision.expected_version)
            except ConcurrencyError as conflict:
                lost = conflict
                self.store.forget(decision.new.stream)  # another writer moved it: look again
        assert lost is not None
        raise lost

    async def _published(self, result: AppendResult) -> AppendResult:
        if result.created:
            self.outbox.publish(result.event)
        return result

"""What a command needs of the event log, as a contract: ``EventStore`` (MongoDB) keeps it, and so does the
in-memory log the handlers' unit tests run against (tests/support/memory_log.py). One contract suite
(tests/integration/test_event_log_contract.py) runs against both, so a handler tested on one behaves alike on the
other.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from shared.events import Envelope, NewEvent


class ConcurrencyError(Exception):
    """Another writer appended to the stream at the expected version first."""

    def __init__(self, stream: str, expected_version: int) -> None:
        super().__init__(f"stream {stream!r} is past version {expected_version}")
        self.stream = stream
        self.expected_version = expected_version


@dataclass(frozen=True, slots=True)
class AppendResult:
    event: Envelope
    # False when the idempotency key was already used: ``event`` is then the event stored the first time.
    created: bool


class EventLog(Protocol):
    async def append(self, new: NewEvent, *, expected_version: int) -> AppendResult:
        """Append ``new`` as version ``expected_version + 1`` of its stream; the first event under its idempotency
        key (``created=False``) when the key was used; ``ConcurrencyError`` when the stream moved on."""
        ...

    async def append_next(self, stream: str, build: Callable[[int], NewEvent], *, attempts: int = 50) -> AppendResult:
        """Append ``build(version)`` at the end of ``stream`` whatever its version, retrying lost races."""
        ...

    async def last_event(self, stream: str) -> Envelope | None:
        """The stream's newest event; None for a stream with none."""
        ...

    async def last_events(self, streams: Sequence[str]) -> dict[str, Envelope | None]:
        """The newest event of each stream (None for a stream with none)."""
        ...

    async def latest_of_types(self, stream: str, types: Sequence[str]) -> list[Envelope]:
        """The stream's newest event of each of ``types`` that it has, in stream order."""
        ...

    async def stream_version(self, stream: str) -> int:
        """The version of the stream's newest event, 0 for a stream with none."""
        ...

    async def latest_stream_version(self, stream: str, *, claimed: int) -> int:
        """The stream's version as the log holds it this moment, another process's append included whose index
        entry may be a moment behind: for a claim that the stream has reached ``claimed``, further than
        ``stream_version`` says."""
        ...

    async def prefetch_versions(self, streams: Sequence[str]) -> None:
        """A hint: the versions of these streams are asked next (a store may read them together)."""
        ...

    async def read_stream(self, stream: str, *, after_version: int = 0) -> list[Envelope]:
        """Every event of a stream after ``after_version``, in stream order."""
        ...

    async def find_by_idempotency_key(self, key: str, *, exhaustive: bool = True) -> Envelope | None:
        """The event stored under ``key``; a quick lookup (``exhaustive=False``) may miss one a moment old."""
        ...

    def recall(self, key: str) -> Envelope | None:
        """The event under ``key`` if this process knows it without a read; None says nothing."""
        ...

    def forget(self, stream: str, *, at_least: int = 0) -> None:
        """Drop what is remembered of a stream (after a lost race); it has reached at least ``at_least``."""
        ...


async def append_at_end(log: EventLog, stream: str, build: Callable[[int], NewEvent], *, attempts: int) -> AppendResult:
    """Append ``build(version)`` at the end of ``stream`` whatever its version: after a lost race, again at the
    version that won (the one retry loop both logs' ``append_next`` share)."""
    version = await log.stream_version(stream)
    for _ in range(attempts):
        try:
            return await log.append(build(version + 1), expected_version=version)
        except ConcurrencyError:
            version = await log.stream_version(stream)
    raise ConcurrencyError(stream, version)

"""An event log in memory, for the handlers' unit tests: keeps ``shared.event_log.EventLog`` as ``EventStore`` does.

tests/integration/test_event_log_contract.py runs one suite against both. Events are built from the very document
``EventStore.append`` writes, so what a handler reads back here is what it would read from the store.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import replace

from shared.event_log import AppendResult, ConcurrencyError, append_at_end
from shared.event_store import event_document
from shared.events import Envelope, NewEvent, new_id, position_id
from shared.stream_index import is_command_key


class InMemoryEventLog:
    def __init__(self) -> None:
        self._log: list[Envelope] = []  # position p is self._log[p - 1]
        self._streams: dict[str, list[Envelope]] = {}  # in stream order
        self._by_key: dict[str, Envelope] = {}  # every key, ``event:<id>`` ones included (the unique index)
        # What "this process" knows without a read (``recall``): keys it appended or looked up, as the store's memory.
        self._known: dict[str, Envelope] = {}
        self._fail_next = 0

    # -- test hooks ---------------------------------------------------------------------------------------------

    def fail_next_append(self, times: int = 1) -> None:
        """The next ``times`` appends lose a race: just before each, another writer appends a copy of its event
        (a new id, no idempotency key) at the version it expected, so it raises ``ConcurrencyError`` and a retry
        that reads the stream again sees the version moved. Appends that would not write anyway (a used key, a
        stale version) neither count nor consume a failure."""
        self._fail_next += times

    @property
    def events(self) -> list[Envelope]:
        """Every stored event, in position order."""
        return list(self._log)

    # -- appending ----------------------------------------------------------------------------------------------

    async def append(self, new: NewEvent, *, expected_version: int) -> AppendResult:
        # The store's append waits on the database; yielding here too lets concurrent callers interleave as
        # they would there (everything below runs without a pause, so it is atomic like a unique index).
        await asyncio.sleep(0)
        key = new.idempotency_key or f"event:{new.id}"
        # The order of EventStore._explain_conflict: a command's key first (a retry gets its first event whatever
        # version it gives), then the stream's version.
        if is_command_key(key) and key in self._by_key:
            first = self._known[key] = self._by_key[key]
            return AppendResult(first, created=False)
        version = self._version(new.stream)
        if expected_version < version:
            raise ConcurrencyError(new.stream, expected_version)
        if expected_version > version:
            # The store would write the version with a gap before it (and the stream's head would later go back
            # if the gap were filled); no handler may rely on that, so fail loudly here.
            raise ValueError(f"stream {new.stream!r} is at version {version}, not {expected_version}")
        if key in self._by_key:
            # The same NewEvent (same id, no key) appended again: the store refuses it on its unique key index
            # and fails with this RuntimeError after its retries.
            raise RuntimeError("could not allocate an event position")
        if self._fail_next:
            self._fail_next -= 1
            self._write(replace(new, id=new_id(), idempotency_key=None), expected_version)
            raise ConcurrencyError(new.stream, expected_version)
        event = self._write(new, expected_version)
        if new.idempotency_key is not None:
            self._known[key] = event
        return AppendResult(event, created=True)

    def _write(self, new: NewEvent, expected_version: int) -> Envelope:
        position = len(self._log) + 1
        # The store's very document; the position is the next one, as a commit takes it.
        doc = {
            **event_document(new, stream_version=expected_version + 1),
            "_id": position_id(position),
            "position": position,
        }
        event = Envelope.from_document(doc)
        self._log.append(event)
        self._streams.setdefault(new.stream, []).append(event)
        self._by_key[str(doc["idempotency_key"])] = event
        return event

    async def append_next(self, stream: str, build: Callable[[int], NewEvent], *, attempts: int = 50) -> AppendResult:
        return await append_at_end(self, stream, build, attempts=attempts)

    # -- reading ------------------------------------------------------------------------------------------------

    def _version(self, stream: str) -> int:
        events = self._streams.get(stream)
        return events[-1].stream_version if events else 0

    async def stream_version(self, stream: str) -> int:
        return self._version(stream)

    async def latest_stream_version(self, stream: str, *, claimed: int) -> int:
        return self._version(stream)

    async def last_event(self, stream: str) -> Envelope | None:
        events = self._streams.get(stream)
        return events[-1] if events else None

    async def last_events(self, streams: Sequence[str]) -> dict[str, Envelope | None]:
        return {stream: await self.last_event(stream) for stream in streams}

    async def latest_of_types(self, stream: str, types: Sequence[str]) -> list[Envelope]:
        newest: dict[str, Envelope] = {}
        for event in self._streams.get(stream, []):
            if event.type in types:
                newest[event.type] = event
        return sorted(newest.values(), key=lambda e: e.stream_version)

    async def prefetch_versions(self, streams: Sequence[str]) -> None:
        """Nothing to read ahead: every version is at hand."""

    async def read_stream(self, stream: str, *, after_version: int = 0) -> list[Envelope]:
        return [e for e in self._streams.get(stream, []) if e.stream_version > after_version]

    async def find_by_idempotency_key(self, key: str, *, exhaustive: bool = True) -> Envelope | None:
        # Always exhaustive: there is no index to be behind the log.
        event = self._by_key.get(key)
        if event is not None:
            self._known[key] = event
        return event

    def recall(self, key: str) -> Envelope | None:
        return self._known.get(key)

    def forget(self, stream: str, *, at_least: int = 0) -> None:
        """Nothing cached to drop: every read is of the log itself."""

"""Two command API instances on one log, as compose.cluster.yaml runs them: what one appends, the other's
decisions take into account, though each remembers streams from its own appends."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import pytest
from pymongo import AsyncMongoClient, monitoring

from command_api.directory import UserDirectory
from command_api.domain.messaging import MarkRead, SendMessage
from command_api.domain.rules import DecisionError
from command_api.handlers import messaging
from command_api.recorder import Recorder
from shared.event_store import EventStore
from shared.streams import conversation_id
from tests.support import Infra
from tests.support.processes import eventually
from tests.unit.conftest import Published, sign_up


def instance(store: EventStore) -> tuple[Recorder, UserDirectory]:
    """Another process's store, recorder and directory on the same database."""
    other = EventStore(store.db)
    return Recorder(other, Published()), UserDirectory(other)


def hold_index_writes(store: EventStore) -> asyncio.Event:
    """Hold the store's index writes until the event returned is set (its appends are answered before them)."""
    release = asyncio.Event()
    recording = store.index.record

    async def held_record(docs: Sequence[dict[str, Any]], *, checkpoint: bool = True) -> None:
        if docs:  # (a commit refused for a position another instance took indexes none)
            await release.wait()
        await recording(docs, checkpoint=checkpoint)

    store.index.record = held_record  # type: ignore[method-assign]
    return release


async def send(recorder: Recorder, directory: UserDirectory, sender: str, to: str, client_msg_id: str) -> int:
    command = SendMessage(to=to, type="text", text="hi", client_msg_id=client_msg_id)
    event = await messaging.send(
        command, sender_id=sender, log=recorder.store, recorder=recorder, directory=directory, correlation_id=None
    )
    return event.stream_version


async def test_a_receipt_for_a_message_the_other_instance_stored(store: EventStore) -> None:
    first, second = instance(store), instance(store)
    ann, bob = await sign_up(*first, "Ann"), await sign_up(*first, "Bob")
    assert await send(*second, bob, ann, "c1") == 1  # the second instance now remembers the conversation at 1
    assert await send(*first, ann, bob, "c2") == 2
    # Bob's client marks Ann's message read; the gateway sends the receipt to the second instance.
    command = MarkRead(peer_id=ann, up_to_seq=2)
    receipt = await messaging.read(
        command, reader_id=bob, log=second[0].store, recorder=second[0], directory=second[1], correlation_id=None
    )
    assert receipt.data["up_to_seq"] == 2


async def test_a_receipt_for_a_message_not_indexed_yet(store: EventStore) -> None:
    """A message is answered before its index entry is written: the receipt may reach the other instance first."""
    first, second = instance(store), instance(store)
    ann, bob = await sign_up(*first, "Ann"), await sign_up(*first, "Bob")
    assert await send(*second, bob, ann, "c1") == 1
    conversation = conversation_id(ann, bob)
    # The first instance is to find the conversation through the index.
    head = await eventually(lambda: store.index.head(conversation), what="the conversation indexed")
    assert head.version == 1
    release = hold_index_writes(first[0].store)
    try:
        assert await send(*first, ann, bob, "c2") == 2
        assert (await store.index.head(conversation)).version == 1  # type: ignore[union-attr]
        command = MarkRead(peer_id=ann, up_to_seq=2)
        receipt = await messaging.read(
            command, reader_id=bob, log=second[0].store, recorder=second[0], directory=second[1], correlation_id=None
        )
        assert receipt.data["up_to_seq"] == 2
        tail_reads: list[int] = []
        reading = second[0].store._newest_documents

        async def counted() -> list[dict[str, Any]]:
            tail_reads.append(beyond)
            return await reading()

        second[0].store._newest_documents = counted  # type: ignore[method-assign]
        # Within reach of the events not indexed yet (the newest of the log are read), and far past them (not).
        for beyond in (3, 10**9):
            with pytest.raises(DecisionError):
                await messaging.read(
                    MarkRead(peer_id=ann, up_to_seq=beyond),
                    reader_id=bob,
                    log=second[0].store,
                    recorder=second[0],
                    directory=second[1],
                    correlation_id=None,
                )
        assert tail_reads == [3]
    finally:
        release.set()


class LogQueries(monitoring.CommandListener):
    """The filters of the finds on the event log that are not by ``_id`` alone: each is a scan on FerretDB."""

    def __init__(self) -> None:
        self.scans: list[dict[str, Any]] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name == "find" and event.command.get("find") == "events":
            wanted = dict(event.command.get("filter", {}))
            if set(wanted) != {"_id"}:
                self.scans.append(wanted)

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


async def test_a_send_racing_the_other_instance_before_its_index_entry(store: EventStore, infra: Infra) -> None:
    """Two instances send into one conversation at once, the first's index entry not written yet: the second's
    lost race is explained from the newest events of the log, and its retry knows the new version, with no scan."""
    first = instance(store)
    queries = LogQueries()
    watched: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        infra.ferretdb.url, tz_aware=True, event_listeners=[queries]
    )
    other = EventStore(watched[store.db.name])
    second = Recorder(other, Published()), UserDirectory(other)
    ann, bob = await sign_up(*first, "Ann"), await sign_up(*first, "Bob")
    conversation = conversation_id(ann, bob)
    try:
        assert await send(*second, bob, ann, "c1") == 1
        await eventually(lambda: store.index.head(conversation), what="the conversation indexed")
        release = hold_index_writes(first[0].store)
        try:
            assert await send(*first, ann, bob, "c2") == 2
            assert await send(*second, bob, ann, "c3") == 3  # the second instance remembered the conversation at 1
        finally:
            release.set()
        assert queries.scans == []
    finally:
        await watched.close()

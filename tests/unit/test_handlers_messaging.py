"""The messaging handlers on the in-memory log: sends, retries, receipts, and lost races."""

from __future__ import annotations

import asyncio

import pytest

from command_api.directory import UserDirectory
from command_api.domain.messaging import MarkRead, SendMessage
from command_api.domain.rules import DecisionError, NotFound
from command_api.handlers import messaging
from command_api.recorder import Recorder
from shared.events import MessageSent, MessagesRead
from shared.streams import conversation_id, reads_stream
from tests.support.memory_log import InMemoryEventLog
from tests.unit.conftest import Published, sign_up


async def pair(recorder: Recorder, directory: UserDirectory) -> tuple[str, str]:
    return await sign_up(recorder, directory, "Ann"), await sign_up(recorder, directory, "Bob")


async def send(
    recorder: Recorder, directory: UserDirectory, sender: str, to: str, text: str = "hi", client_msg_id: str = "c1"
) -> MessageSent:
    command = SendMessage(to=to, type="text", text=text, client_msg_id=client_msg_id)
    event = await messaging.send(
        command, sender_id=sender, log=recorder.store, recorder=recorder, directory=directory, correlation_id="r1"
    )
    data = event.decode()
    assert isinstance(data, MessageSent)
    return data


async def test_messages_take_consecutive_seqs_and_are_published(
    recorder: Recorder, directory: UserDirectory, published: Published
) -> None:
    ann, bob = await pair(recorder, directory)
    first = await send(recorder, directory, ann, bob, client_msg_id="c1")
    second = await send(recorder, directory, bob, ann, client_msg_id="c1")  # another sender's id space
    assert (first.seq, second.seq) == (1, 2)
    assert first.conversation_id == second.conversation_id == conversation_id(ann, bob)
    assert [e.type for e in published][-2:] == ["MessageSent", "MessageSent"]
    assert published[-1].correlation_id == "r1"


async def test_a_retry_gets_the_first_message_and_publishes_nothing(
    log: InMemoryEventLog, recorder: Recorder, directory: UserDirectory, published: Published
) -> None:
    ann, bob = await pair(recorder, directory)
    first = await send(recorder, directory, ann, bob, text="once")
    before = len(published)
    retry = await send(recorder, directory, ann, bob, text="once")
    assert retry.message_id == first.message_id
    assert len(published) == before
    recalled = messaging.already_sent(log, sender_id=ann, client_msg_id="c1")
    assert recalled is not None and recalled.data["message_id"] == first.message_id


async def test_concurrent_sends_in_one_conversation_get_distinct_seqs(
    recorder: Recorder, directory: UserDirectory
) -> None:
    ann, bob = await pair(recorder, directory)
    sent = await asyncio.gather(*(send(recorder, directory, ann, bob, client_msg_id=f"c{i}") for i in range(10)))
    assert sorted(m.seq for m in sent) == list(range(1, 11))


async def test_a_send_that_loses_a_race_takes_the_next_seq(
    log: InMemoryEventLog, recorder: Recorder, directory: UserDirectory
) -> None:
    ann, bob = await pair(recorder, directory)
    await send(recorder, directory, ann, bob, client_msg_id="c1")
    log.fail_next_append()
    assert (await send(recorder, directory, ann, bob, client_msg_id="c2")).seq == 3


async def test_sends_to_nobody_or_to_oneself_are_refused(recorder: Recorder, directory: UserDirectory) -> None:
    ann, _ = await pair(recorder, directory)
    with pytest.raises(NotFound):
        await send(recorder, directory, ann, "nobody")
    with pytest.raises(DecisionError):
        await send(recorder, directory, ann, ann)


async def read(recorder: Recorder, directory: UserDirectory, reader: str, peer: str, up_to: int) -> MessagesRead:
    event = await messaging.read(
        MarkRead(peer_id=peer, up_to_seq=up_to),
        reader_id=reader,
        log=recorder.store,
        recorder=recorder,
        directory=directory,
        correlation_id=None,
    )
    data = event.decode()
    assert isinstance(data, MessagesRead)
    return data


async def test_a_receipt_moves_forward_only(
    log: InMemoryEventLog, recorder: Recorder, directory: UserDirectory
) -> None:
    ann, bob = await pair(recorder, directory)
    for i in range(3):
        await send(recorder, directory, ann, bob, client_msg_id=f"c{i}")
    assert (await read(recorder, directory, bob, ann, 2)).up_to_seq == 2
    assert (await read(recorder, directory, bob, ann, 1)).up_to_seq == 2  # an older receipt: the newer answers
    assert (await read(recorder, directory, bob, ann, 3)).up_to_seq == 3
    stream = reads_stream(conversation_id(ann, bob), bob)
    assert [e.data["up_to_seq"] for e in await log.read_stream(stream)] == [2, 3]


async def test_a_receipt_past_the_last_message_or_for_nobody_is_refused(
    recorder: Recorder, directory: UserDirectory
) -> None:
    ann, bob = await pair(recorder, directory)
    await send(recorder, directory, ann, bob)
    with pytest.raises(DecisionError):
        await read(recorder, directory, bob, ann, 2)
    with pytest.raises(NotFound):
        await read(recorder, directory, bob, "nobody", 1)


async def test_a_receipt_that_loses_a_race_decides_again_on_the_winner(
    log: InMemoryEventLog, recorder: Recorder, directory: UserDirectory
) -> None:
    ann, bob = await pair(recorder, directory)
    for i in range(2):
        await send(recorder, directory, ann, bob, client_msg_id=f"c{i}")
    await read(recorder, directory, bob, ann, 1)
    log.fail_next_append()  # another tab's receipt (a copy of this one) lands first
    assert (await read(recorder, directory, bob, ann, 2)).up_to_seq == 2
    stream = reads_stream(conversation_id(ann, bob), bob)
    assert [e.data["up_to_seq"] for e in await log.read_stream(stream)] == [1, 2]  # the winner's alone

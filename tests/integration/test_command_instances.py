"""Two command API instances on one log, as compose.cluster.yaml runs them: what one appends, the other's
decisions take into account, though each remembers streams from its own appends."""

from __future__ import annotations

from command_api.directory import UserDirectory
from command_api.domain.messaging import MarkRead, SendMessage
from command_api.handlers import messaging
from command_api.recorder import Recorder
from shared.event_store import EventStore
from tests.unit.conftest import Published, sign_up


def instance(store: EventStore) -> tuple[Recorder, UserDirectory]:
    """Another process's store, recorder and directory on the same database."""
    other = EventStore(store.db)
    return Recorder(other, Published()), UserDirectory(other)


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

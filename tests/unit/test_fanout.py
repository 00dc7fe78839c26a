"""The realtime node's fan-out: which sockets hear each event, once, in the shapes clients are typed from.

The Socket.IO server records what it is asked to emit instead of writing to sockets; events come from the
in-memory log, as the bus would carry them."""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

import pytest
import socketio
from nats.aio.msg import Msg
from pydantic import TypeAdapter

from realtime.connections import user_room
from realtime.directory import KnownUsers
from realtime.fanout import Fanout
from realtime.presence_audience import PresenceAudience
from realtime.presence_push import PresencePush
from realtime.user_push import UserPush
from shared.bus import Bus
from shared.events import (
    Envelope,
    EventData,
    MessageSent,
    MessagesRead,
    NewEvent,
    PresenceChanged,
    SessionEnded,
    UserProfileUpdated,
    UserRegistered,
    now,
)
from shared.media_urls import MediaSigner
from shared.schemas import SOCKET_EVENTS
from shared.settings import Settings
from tests.support.memory_log import InMemoryEventLog

WINDOW = 0.01  # presence and user pushes gather this long


class RecordingServer(socketio.AsyncServer):
    """Records each emit as (event, payload, recipients)."""

    def __init__(self) -> None:
        super().__init__(async_mode="asgi")
        self.emitted: list[tuple[str, Any, Any]] = []

    async def emit(self, event: str, data: Any = None, to: Any = None, room: Any = None, **_: Any) -> None:  # type: ignore[override]
        self.emitted.append((event, data, to if to is not None else room))


@pytest.fixture
def sio() -> RecordingServer:
    return RecordingServer()


@pytest.fixture
def fanout(sio: RecordingServer) -> Fanout:
    bus = Bus(Settings(nats_url="nats://127.0.0.1:1"), name="fanout-test")  # never started: nothing is asked
    return Fanout(
        sio,
        MediaSigner.from_secret(secrets.token_hex(32), 3600),
        PresencePush(sio, PresenceAudience(max_watched=2000), window_seconds=WINDOW, newcomer_seconds=0),
        UserPush(sio, window_seconds=WINDOW),
        KnownUsers(bus),
    )


# One log for the module: each test only needs its events stored with distinct ids and positions.
log = InMemoryEventLog()


async def stored(stream: str, data: EventData) -> Envelope:
    return (await log.append_next(stream, lambda _: NewEvent(stream=stream, data=data, actor_id=None))).event


def message(sender: str, receiver: str, seq: int) -> MessageSent:
    conversation = f"dm:{min(sender, receiver)}:{max(sender, receiver)}"
    return MessageSent(
        message_id=f"m-{sender}-{seq}",
        conversation_id=conversation,
        seq=seq,
        sender_id=sender,
        receiver_id=receiver,
        type="text",
        text="hi",
        client_msg_id=f"c{seq}",
        sent_at=now(),
    )


def valid(event: str, payload: Any) -> None:
    TypeAdapter(SOCKET_EVENTS[event]).validate_python(payload)


async def test_a_message_goes_to_both_people_once_however_often_it_arrives(
    fanout: Fanout, sio: RecordingServer
) -> None:
    event = await stored("dm:a:b", message("a", "b", 1))
    for _ in range(2):  # a publish repeated after a crash of the command API
        await fanout.on_bus_message(Msg(_client=None, subject="x.events.MessageSent", data=event.to_json()))  # type: ignore[arg-type]
    assert len(sio.emitted) == 1
    name, payload, rooms = sio.emitted[0]
    assert (name, sorted(rooms)) == ("message", sorted([user_room("a"), user_room("b")]))
    assert (payload["id"], payload["seq"], payload["position"]) == ("m-a-1", 1, event.position)
    valid(name, payload)
    assert fanout.position == event.position


async def test_a_read_receipt_goes_to_both_people(fanout: Fanout, sio: RecordingServer) -> None:
    read = MessagesRead(conversation_id="dm:a:b", reader_id="b", peer_id="a", up_to_seq=1, read_at=now())
    await fanout.push(await stored("reads:dm:a:b:b", read))
    name, payload, rooms = sio.emitted[-1]
    assert (name, sorted(rooms)) == ("read", sorted([user_room("a"), user_room("b")]))
    valid(name, payload)


async def test_people_and_presence_are_gathered_and_pushed_in_their_shapes(
    fanout: Fanout, sio: RecordingServer
) -> None:
    await fanout.push(await stored("user:c", UserRegistered(user_id="c", name="Cy", email="c@x.io", password_hash="h")))
    await fanout.push(await stored("user:c", UserProfileUpdated(user_id="c", name="Cyd", avatar_media_id=None)))
    seen = now()
    await fanout.push(
        await stored("presence:c", PresenceChanged(user_id="c", online=True, last_seen=seen, reason="connected"))
    )
    await asyncio.sleep(WINDOW * 5)
    pushes = {name: payload for name, payload, _ in sio.emitted}
    # The registration and the rename of one window: one push, the fields merged, presence as registered.
    assert pushes["user"] == {"id": "c", "name": "Cyd", "avatar": None, "online": False, "last_seen": None}
    assert pushes["presence"] == {"user_id": "c", "online": True, "last_seen": seen}
    for name, payload in pushes.items():
        valid(name, payload)


async def test_events_that_concern_no_socket_push_nothing(fanout: Fanout, sio: RecordingServer) -> None:
    # A session's end reaches its sockets through the node's session follower (realtime/sockets.py), not here.
    await fanout.push(await stored("sessions:a", SessionEnded(user_id="a", session_id="s1", reason="logout")))
    await asyncio.sleep(WINDOW * 2)
    assert sio.emitted == []

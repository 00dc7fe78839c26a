"""Realtime sockets through the real node: who may connect, and what they are pushed."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import nats
import pytest
import socketio
from pymongo import AsyncMongoClient
from websockets.asyncio.client import connect

from shared.event_store import EventStore
from tests.conftest import SocketFactory
from tests.support import Stack, bearer, eventually, holds, register


@pytest.mark.parametrize("token", [None, "", "garbage"])
async def test_socket_without_a_valid_token_is_refused(stack: Stack, sockets: SocketFactory, token: str | None) -> None:
    with pytest.raises(socketio.exceptions.ConnectionError):
        await sockets(stack.url("realtime"), token)


async def test_socket_from_a_foreign_origin_is_refused(
    http: httpx.AsyncClient, stack: Stack, sockets: SocketFactory
) -> None:
    user = await register(http, stack)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await sockets(stack.url("realtime"), user["access_token"], origin="http://evil.example")
    handshake = f"{stack.url('realtime')}/socket.io/?EIO=4&transport=polling"
    assert (await http.get(handshake, headers={"Origin": "http://evil.example"})).status_code == 400
    assert (await http.get(handshake, headers={"Origin": "http://localhost:8080"})).status_code == 200


async def test_socket_with_a_token_connects(http: httpx.AsyncClient, stack: Stack, sockets: SocketFactory) -> None:
    user = await register(http, stack)
    client = await sockets(stack.url("realtime"), user["access_token"])
    assert client.connected
    polling = await sockets(stack.url("realtime"), user["access_token"], transports=["polling"])
    assert polling.connected


async def test_a_socket_is_not_compressed(http: httpx.AsyncClient, stack: Stack) -> None:
    """Every browser offers permessage-deflate; a node that accepts it keeps a compressor and a decompressor per
    socket, which doubled its memory per socket (97 KiB against 47) for messages of a few hundred bytes."""
    url = stack.url("realtime").replace("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket"
    async with connect(url, additional_headers={"Origin": "http://localhost:8080"}, compression="deflate") as ws:
        assert ws.response is not None
        assert "Sec-WebSocket-Extensions" not in ws.response.headers
        opened = await ws.recv()
        assert isinstance(opened, str) and opened.startswith("0")  # Engine.IO's open packet: the socket works


async def test_a_new_registration_is_pushed_to_connected_users(
    http: httpx.AsyncClient, stack: Stack, sockets: SocketFactory
) -> None:
    watcher = await register(http, stack, name="Watcher")
    client = await sockets(stack.url("realtime"), watcher["access_token"])
    newcomer = await register(http, stack, name="Newcomer ✨")

    async def pushed() -> Any:
        return next(
            (d for e, d in client.received if e == "user" and d["id"] == newcomer["user"]["id"]),  # type: ignore[attr-defined]
            None,
        )

    user_event = await eventually(pushed, what="user event")
    assert user_event == {
        "id": newcomer["user"]["id"],
        "name": "Newcomer ✨",
        "avatar": None,
        "online": False,
        "last_seen": None,
    }
    assert "email" not in user_event and "password_hash" not in user_event


async def test_an_event_published_twice_reaches_each_socket_once(
    http: httpx.AsyncClient, stack: Stack, sockets: SocketFactory, mongo: AsyncMongoClient[dict[str, Any]]
) -> None:
    # After a crash of the command API, its outbox publishes again the events it had not cleared. JetStream keeps
    # one copy, but a node's plain subscription receives both.
    sender = await register(http, stack, name="Twice Sender")
    receiver = await register(http, stack, name="Twice Receiver")
    client = await sockets(stack.url("realtime"), receiver["access_token"])

    async def send(text: str) -> dict[str, Any]:
        sent = await http.post(
            f"{stack.url('command')}/api/messages",
            json={"to": receiver["user"]["id"], "type": "text", "text": text, "client_msg_id": uuid.uuid4().hex},
            headers=bearer(sender["access_token"]),
        )
        assert sent.status_code == 201, sent.text
        message: dict[str, Any] = sent.json()["message"]
        return message

    def pushes(message_id: str) -> int:
        return sum(1 for e, d in client.received if e == "message" and d["id"] == message_id)  # type: ignore[attr-defined]

    first = await send("once")
    await eventually(lambda: holds(pushes(first["id"]) == 1), what="the message pushed")
    event = await EventStore(mongo[stack.name]).at(first["position"])
    assert event is not None
    bus = await nats.connect(stack.env["PARLEY_NATS_URL"])
    try:
        await bus.publish(f"{stack.env['PARLEY_SUBJECT_PREFIX']}.{event.type}", event.to_json())
        await bus.flush()
    finally:
        await bus.close()
    # A later message is pushed after the copy would have been (one node, in order from the bus).
    second = await send("after the copy")
    await eventually(lambda: holds(pushes(second["id"]) == 1), what="the next message pushed")
    assert pushes(first["id"]) == 1

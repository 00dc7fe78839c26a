"""Realtime sockets through the real node: who may connect, and what they are pushed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
import socketio

from tests.support import Stack, eventually, register

SocketFactory = Callable[..., Awaitable[socketio.AsyncClient]]


@pytest.fixture
async def sockets() -> AsyncIterator[SocketFactory]:
    opened: list[socketio.AsyncClient] = []

    async def open_socket(
        url: str, token: str | None, origin: str | None = "http://localhost:8080", transports: list[str] | None = None
    ) -> socketio.AsyncClient:
        client = socketio.AsyncClient(reconnection=False)
        client.received = []  # type: ignore[attr-defined]

        @client.on("*")  # type: ignore[untyped-decorator]
        async def any_event(event: str, data: Any) -> None:
            client.received.append((event, data))  # type: ignore[attr-defined]

        opened.append(client)
        headers = {"Origin": origin} if origin else {}
        await client.connect(
            url,
            auth={"token": token} if token is not None else None,
            headers=headers,
            transports=transports or ["websocket"],
            wait_timeout=5,
        )
        return client

    yield open_socket
    await asyncio.gather(*(c.disconnect() for c in opened if c.connected))


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

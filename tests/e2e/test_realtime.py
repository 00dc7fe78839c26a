"""Realtime sockets through the real node: who may connect, and what they are pushed."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import socketio

from tests.conftest import SocketFactory
from tests.support import Stack, eventually, register


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

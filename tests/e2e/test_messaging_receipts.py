"""What a peer learns besides messages, through the real services: read receipts and unread counts in the sidebar,
typing."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from tests.conftest import SocketFactory
from tests.e2e.messaging_helpers import _async, history
from tests.support import Stack, bearer, eventually, received, register, send_text, sidebar


async def test_read_receipts_and_the_sidebar(
    http: httpx.AsyncClient, stack: Stack, sockets: SocketFactory, pair: tuple[dict[str, Any], ...]
) -> None:
    alice, bob = pair
    alice_socket = await sockets(stack.url("realtime"), alice["access_token"])
    for text in ("one", "two", "three"):
        await send_text(http, stack, alice, bob["user"]["id"], text)

    async def bob_sidebar_entry() -> dict[str, Any] | None:
        users = await sidebar(http, stack, bob["access_token"])
        entry: dict[str, Any] | None = next((u for u in users if u["id"] == alice["user"]["id"]), None)
        if entry is None:
            return None  # alice not projected yet
        conversation = entry["conversation"]
        return entry if conversation and conversation["last_message"] and conversation["unread"] == 3 else None

    entry = await eventually(bob_sidebar_entry, what="3 unread for bob")
    assert entry["conversation"]["last_message"]["text"] == "three"
    users = await sidebar(http, stack, bob["access_token"])
    assert users[0]["id"] == alice["user"]["id"]  # most recent activity first

    response = await http.post(
        f"{stack.url('command')}/api/messages/read",
        json={"peer_id": alice["user"]["id"], "up_to_seq": 2},
        headers=bearer(bob["access_token"]),
    )
    assert response.status_code == 200, response.text
    assert response.json()["read"]["up_to_seq"] == 2
    receipt = await eventually(lambda: _async(received(alice_socket, "read")), what="alice told")
    assert receipt[0]["reader_id"] == bob["user"]["id"] and receipt[0]["up_to_seq"] == 2

    async def unread_is(n: int) -> bool:
        users = await sidebar(http, stack, bob["access_token"])
        return next(u for u in users if u["id"] == alice["user"]["id"])["conversation"]["unread"] == n

    await eventually(lambda: unread_is(1), what="unread drops to 1")
    page = await history(http, stack, alice, bob["user"]["id"])
    await eventually(lambda: _peer_read(http, stack, alice, bob["user"]["id"], 2), what="alice sees seen")
    assert page["messages"]

    # going backwards or past the end is refused or ignored
    backwards = await http.post(
        f"{stack.url('command')}/api/messages/read",
        json={"peer_id": alice["user"]["id"], "up_to_seq": 1},
        headers=bearer(bob["access_token"]),
    )
    assert backwards.status_code == 200 and backwards.json()["read"]["up_to_seq"] == 2
    past_end = await http.post(
        f"{stack.url('command')}/api/messages/read",
        json={"peer_id": alice["user"]["id"], "up_to_seq": 99},
        headers=bearer(bob["access_token"]),
    )
    assert past_end.status_code == 422


async def test_the_sidebar_never_loses_a_conversation_while_it_is_updated(
    http: httpx.AsyncClient, stack: Stack, pair: tuple[dict[str, Any], ...]
) -> None:
    """View documents are replaced in place: a reader sees the summary before or after a batch, never missing."""
    alice, bob = pair
    await send_text(http, stack, alice, bob["user"]["id"], "first")

    async def summary() -> dict[str, Any] | None:
        users = await sidebar(http, stack, bob["access_token"])
        entry = next((u for u in users if u["id"] == alice["user"]["id"]), None)
        return entry["conversation"] if entry and entry["conversation"] else None

    await eventually(summary, what="the first summary")
    sending = True
    views: list[list[dict[str, Any] | None]] = [[], [], []]

    async def watch(seen: list[dict[str, Any] | None]) -> None:
        while sending:
            seen.append(await summary())

    watchers = [asyncio.create_task(watch(seen)) for seen in views]
    for n in range(40):
        await send_text(http, stack, alice, bob["user"]["id"], f"update {n}")
        await asyncio.sleep(0.02)
    await eventually(lambda: _unread_is(http, stack, bob, alice["user"]["id"], 41), what="every message counted")
    sending = False
    await asyncio.gather(*watchers)
    for seen in views:
        assert len(seen) > 5
        assert all(conversation is not None for conversation in seen)
        unread = [conversation["unread"] for conversation in seen if conversation is not None]
        assert unread == sorted(unread)  # each reader sees it only move forward


async def _unread_is(http: httpx.AsyncClient, stack: Stack, user: dict[str, Any], peer: str, n: int) -> bool:
    users = await sidebar(http, stack, user["access_token"])
    entry = next((u for u in users if u["id"] == peer), None)
    return bool(entry and entry["conversation"] and entry["conversation"]["unread"] == n)


async def _peer_read(http: httpx.AsyncClient, stack: Stack, user: dict[str, Any], peer: str, seq: int) -> bool:
    return bool((await history(http, stack, user, peer))["peer_read_seq"] == seq)


async def test_typing_is_relayed_to_the_peer_only(
    http: httpx.AsyncClient, stack: Stack, sockets: SocketFactory, pair: tuple[dict[str, Any], ...]
) -> None:
    alice, bob = pair
    eve = await register(http, stack, name="Eve")
    alice_socket = await sockets(stack.url("realtime"), alice["access_token"])
    bob_socket = await sockets(stack.url("realtime2"), bob["access_token"])
    eve_socket = await sockets(stack.url("realtime"), eve["access_token"])
    for _ in range(5):
        await alice_socket.emit("typing", {"to": bob["user"]["id"]})
    await alice_socket.emit("typing", "garbage")
    await alice_socket.emit("typing", {"to": 42})
    typing = await eventually(lambda: _async(received(bob_socket, "typing")), what="bob sees typing")
    assert typing[0] == {"from": alice["user"]["id"]}
    assert len(received(bob_socket, "typing")) == 1  # throttled
    assert received(eve_socket, "typing") == []

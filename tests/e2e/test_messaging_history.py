"""Reading conversations back through the real services: nothing for a third person, paging, the catch-up after
a reconnect."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import SocketFactory
from tests.e2e.messaging_helpers import _async, history, wait_history
from tests.support import Stack, bearer, eventually, received, register, send_text


async def test_a_third_user_sees_nothing_of_the_pair(
    http: httpx.AsyncClient, stack: Stack, sockets: SocketFactory, pair: tuple[dict[str, Any], ...]
) -> None:
    alice, bob = pair
    eve = await register(http, stack, name="Eve")
    eve_socket = await sockets(stack.url("realtime"), eve["access_token"])
    bob_socket = await sockets(stack.url("realtime"), bob["access_token"])
    await send_text(http, stack, alice, bob["user"]["id"], "private")
    await eventually(lambda: _async(received(bob_socket, "message")), what="bob got it")
    await wait_history(http, stack, bob, alice["user"]["id"], 1)
    assert (await history(http, stack, eve, alice["user"]["id"]))["messages"] == []
    assert (await history(http, stack, eve, bob["user"]["id"]))["messages"] == []
    assert received(eve_socket, "message") == []
    sync = await http.get(f"{stack.url('query')}/api/sync", params={"after": 0}, headers=bearer(eve["access_token"]))
    assert sync.json()["messages"] == []
    # a user cannot open a conversation with themselves or with nobody
    for peer in (eve["user"]["id"], "no-such-user"):
        response = await http.get(
            f"{stack.url('query')}/api/conversations/{peer}/messages", headers=bearer(eve["access_token"])
        )
        assert response.status_code == 404


async def test_paging_through_250_messages_returns_each_once(
    http: httpx.AsyncClient, stack: Stack, pair: tuple[dict[str, Any], ...]
) -> None:
    alice, bob = pair
    for i in range(250):
        sender, to = (alice, bob) if i % 2 == 0 else (bob, alice)
        assert (await send_text(http, stack, sender, to["user"]["id"], f"m{i}")).status_code == 201
    await eventually(
        lambda: _count(http, stack, alice, bob["user"]["id"], 250), timeout=30, what="250 messages projected"
    )
    seen: list[int] = []
    before = None
    while True:
        params = {"limit": 100} if before is None else {"limit": 100, "before": before}
        page = await history(http, stack, alice, bob["user"]["id"], **params)
        seen = [m["seq"] for m in page["messages"]] + seen
        # new messages arriving while paging must not disturb the cursor
        await send_text(http, stack, bob, alice["user"]["id"], "interrupting")
        before = page["next_before"]
        if before is None:
            break
    assert seen == list(range(1, 251))


async def _count(http: httpx.AsyncClient, stack: Stack, user: dict[str, Any], peer: str, n: int) -> bool:
    page = await history(http, stack, user, peer, limit=1)
    return bool(page["messages"]) and page["messages"][-1]["seq"] >= n


async def test_missed_messages_fill_in_exactly_once_after_a_reconnect(
    http: httpx.AsyncClient, stack: Stack, sockets: SocketFactory, pair: tuple[dict[str, Any], ...]
) -> None:
    alice, bob = pair
    me = await eventually(lambda: _me(http, stack, bob), what="bob projected")
    bob_socket = await sockets(stack.url("realtime"), bob["access_token"])
    await send_text(http, stack, alice, bob["user"]["id"], "before")
    before = (await eventually(lambda: _async(received(bob_socket, "message")), what="first push"))[0]
    last_position = max(me["sync_position"], before["position"])
    await bob_socket.disconnect()

    sent = [(await send_text(http, stack, alice, bob["user"]["id"], f"missed {i}")).json()["message"] for i in range(5)]
    bob_again = await sockets(stack.url("realtime2"), bob["access_token"])
    response = await http.get(
        f"{stack.url('query')}/api/sync", params={"after": last_position}, headers=bearer(bob["access_token"])
    )
    page = response.json()
    assert [m["id"] for m in page["messages"]] == [m["id"] for m in sent]
    assert page["position"] == sent[-1]["position"] and page["more"] is False
    after = await http.get(
        f"{stack.url('query')}/api/sync", params={"after": page["position"]}, headers=bearer(bob["access_token"])
    )
    assert after.json()["messages"] == []
    assert received(bob_again, "message") == []


async def _me(http: httpx.AsyncClient, stack: Stack, user: dict[str, Any]) -> dict[str, Any] | None:
    response = await http.get(f"{stack.url('query')}/api/me", headers=bearer(user["access_token"]))
    return response.json() if response.status_code == 200 else None

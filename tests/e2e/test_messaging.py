"""Messaging through the real services: send, push, history, receipts, typing, catch-up, two realtime nodes."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from pymongo import AsyncMongoClient

from tests.conftest import SocketFactory
from tests.support import Infra, Stack, bearer, eventually, received, register, send_text, sidebar


@pytest.fixture
async def pair(http: httpx.AsyncClient, stack: Stack) -> tuple[dict[str, Any], dict[str, Any]]:
    return await register(http, stack, name="Alice"), await register(http, stack, name="Bob")


async def history(
    http: httpx.AsyncClient, stack: Stack, user: dict[str, Any], peer_id: str, **params: Any
) -> dict[str, Any]:
    async def fetch() -> httpx.Response | None:
        response = await http.get(
            f"{stack.url('query')}/api/conversations/{peer_id}/messages",
            params=params,
            headers=bearer(user["access_token"]),
        )
        # 404 until the projector has the peer in the users view (a moment after registering)
        return None if response.status_code == 404 else response

    response = await eventually(fetch, what="peer projected")
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


async def wait_history(
    http: httpx.AsyncClient, stack: Stack, user: dict[str, Any], peer_id: str, count: int
) -> list[dict[str, Any]]:
    async def probe() -> list[dict[str, Any]] | None:
        messages: list[dict[str, Any]] = (await history(http, stack, user, peer_id, limit=100))["messages"]
        return messages if len(messages) >= count else None

    return await eventually(probe, what=f"{count} messages projected")


async def test_send_pushes_to_both_people_on_every_node(
    http: httpx.AsyncClient, stack: Stack, sockets: SocketFactory, pair: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    alice, bob = pair
    # Alice has two tabs on different nodes; Bob is on the second node.
    alice_tab1 = await sockets(stack.url("realtime"), alice["access_token"])
    alice_tab2 = await sockets(stack.url("realtime2"), alice["access_token"])
    bob_tab = await sockets(stack.url("realtime2"), bob["access_token"])
    response = await send_text(http, stack, alice, bob["user"]["id"], "Hello Bob 👋")
    assert response.status_code == 201, response.text
    message = response.json()["message"]
    assert message["seq"] == 1
    assert message["sender_id"] == alice["user"]["id"] and message["receiver_id"] == bob["user"]["id"]
    assert message["type"] == "text" and message["text"] == "Hello Bob 👋" and message["media"] is None
    low, high = sorted([alice["user"]["id"], bob["user"]["id"]])
    assert message["conversation_id"] == f"dm:{low}:{high}"
    for socket in (alice_tab1, alice_tab2, bob_tab):
        pushed = await eventually(lambda s=socket: _async(received(s, "message")), what="message pushed")
        assert pushed == [message]


async def _async(value: Any) -> Any:
    return value


async def test_retry_with_the_same_client_msg_id_returns_the_same_message(
    http: httpx.AsyncClient, stack: Stack, mongo: AsyncMongoClient[dict[str, Any]], pair: tuple[dict[str, Any], ...]
) -> None:
    alice, bob = pair
    client_msg_id = uuid.uuid4().hex
    first, second, *concurrent = await asyncio.gather(
        *(send_text(http, stack, alice, bob["user"]["id"], "once", client_msg_id) for _ in range(6))
    )
    ids = {r.json()["message"]["id"] for r in (first, second, *concurrent)}
    assert {r.status_code for r in (first, second, *concurrent)} == {201}
    assert len(ids) == 1
    events = mongo[stack.name]["events"]
    assert await events.count_documents({"type": "MessageSent", "data.client_msg_id": client_msg_id}) == 1


async def test_concurrent_sends_from_both_sides_keep_order(
    http: httpx.AsyncClient, stack: Stack, pair: tuple[dict[str, Any], ...]
) -> None:
    alice, bob = pair

    async def send_many(sender: dict[str, Any], to: dict[str, Any]) -> list[int]:
        seqs = []
        for i in range(20):
            response = await send_text(http, stack, sender, to["user"]["id"], f"{sender['user']['name']} {i}")
            assert response.status_code == 201, response.text
            seqs.append(response.json()["message"]["seq"])
        return seqs

    alice_seqs, bob_seqs = await asyncio.gather(send_many(alice, bob), send_many(bob, alice))
    assert sorted(alice_seqs + bob_seqs) == list(range(1, 41))
    assert alice_seqs == sorted(alice_seqs) and bob_seqs == sorted(bob_seqs)
    messages = await wait_history(http, stack, bob, alice["user"]["id"], 40)
    assert [m["seq"] for m in messages] == list(range(1, 41))
    assert [m["text"] for m in messages if m["sender_id"] == alice["user"]["id"]] == [f"Alice {i}" for i in range(20)]


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


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert('x')</script> & <b>bold</b>",
        "👩‍👩‍👧‍👦 family, 🇺🇦 flag, é composed vs e\u0301 decomposed",
        "עברית ومرحبا 漢字 かな",
        "line one\nline two\n\n  indented",
        "x" * 10_000,
        '{"json": true} $where . dotted.key',
    ],
)
async def test_text_round_trips_verbatim(
    http: httpx.AsyncClient, stack: Stack, pair: tuple[dict[str, Any], ...], text: str
) -> None:
    alice, bob = pair
    response = await send_text(http, stack, alice, bob["user"]["id"], text)
    assert response.status_code == 201, response.text
    assert response.json()["message"]["text"] == text
    (stored,) = await wait_history(http, stack, bob, alice["user"]["id"], 1)
    assert stored["text"] == text


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"type": "text", "text": ""}, 422),
        ({"type": "text", "text": "   \n  "}, 422),
        ({"type": "text", "text": "x" * 10_001}, 422),
        ({"type": "text", "text": "nul \x00 inside"}, 422),
        ({"type": "sticker", "text": "hi"}, 422),
        ({"type": "image"}, 422),
        ({"type": "image", "media_id": "nope"}, 422),
        ({"type": "text", "text": "hi", "extra": 1}, 422),
        ({"type": "text", "text": 5}, 422),
        ({"type": "text", "text": "hi", "client_msg_id": ""}, 422),
    ],
)
async def test_invalid_messages_are_refused(
    http: httpx.AsyncClient, stack: Stack, pair: tuple[dict[str, Any], ...], body: dict[str, Any], status: int
) -> None:
    alice, bob = pair
    payload = {"to": bob["user"]["id"], "client_msg_id": uuid.uuid4().hex, **body}
    response = await http.post(
        f"{stack.url('command')}/api/messages", json=payload, headers=bearer(alice["access_token"])
    )
    assert response.status_code == status, response.text
    assert response.json()["detail"]


async def test_recipient_must_be_someone_else_who_exists(
    http: httpx.AsyncClient, stack: Stack, pair: tuple[dict[str, Any], ...]
) -> None:
    alice, _ = pair
    to_self = await send_text(http, stack, alice, alice["user"]["id"], "me")
    assert to_self.status_code == 422 and "yourself" in to_self.json()["detail"]
    nobody = await send_text(http, stack, alice, "no-such-user", "hello?")
    assert nobody.status_code == 404
    anonymous = await http.post(
        f"{stack.url('command')}/api/messages",
        json={"to": alice["user"]["id"], "type": "text", "text": "hi", "client_msg_id": "x"},
    )
    assert anonymous.status_code == 401


@pytest.fixture
def strict_stack(infra: Infra) -> Iterator[Stack]:
    """A stack with a tight message rate (1/s, bursts of 5) so the limit shows regardless of machine speed."""
    stack = Stack(infra, infra.nats, extra_env={"PARLEY_MESSAGE_RATE": "1", "PARLEY_MESSAGE_BURST": "5"}).start()
    try:
        yield stack
    finally:
        stack.stop()


async def test_a_flooding_sender_gets_429(http: httpx.AsyncClient, strict_stack: Stack) -> None:
    alice = await register(http, strict_stack, name="Alice")
    bob = await register(http, strict_stack, name="Bob")
    responses = [await send_text(http, strict_stack, alice, bob["user"]["id"], f"{i}") for i in range(20)]
    codes = [r.status_code for r in responses]
    assert codes[:5] == [201] * 5
    assert codes.count(429) >= 10, codes
    refused = next(r for r in responses if r.status_code == 429)
    assert int(refused.headers["Retry-After"]) >= 1 and refused.json()["detail"]
    # another sender is not affected
    assert (await send_text(http, strict_stack, bob, alice["user"]["id"], "hi")).status_code == 201


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

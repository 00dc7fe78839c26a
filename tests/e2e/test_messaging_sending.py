"""Sending through the real services: the push to every tab on every node, retries, order, text kept verbatim,
refusals, the rate limit."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from pymongo import AsyncMongoClient

from tests.conftest import SocketFactory
from tests.e2e.messaging_helpers import _async, wait_history
from tests.support import Infra, Stack, bearer, eventually, received, register, send_text


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

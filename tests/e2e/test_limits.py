"""Floods and quotas: sign-ups per address, profile changes per account, gathered user pushes, daily upload
quotas, sockets per user, and typing only towards real people within a budget."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import nats
import orjson
import pytest
import socketio

from tests.conftest import SocketFactory
from tests.support import Infra, Stack, bearer, eventually, received, register

LIMITS = {
    "PARLEY_SIGNUPS_PER_HOUR": "5",
    "PARLEY_UPLOADS_PER_DAY": "3",
    "PARLEY_UPLOAD_BYTES_PER_DAY": "1000",
    "PARLEY_MAX_SOCKETS_PER_USER": "2",
    "PARLEY_TYPING_RATE": "0.01",
    "PARLEY_TYPING_BURST": "2",
}


@pytest.fixture(scope="module")
def limited(infra: Infra) -> Iterator[Stack]:
    stack = Stack(infra, infra.nats, extra_env=LIMITS).start()
    try:
        yield stack
    finally:
        stack.stop()


_next_address = iter(range(2, 250))


@pytest.fixture
async def office() -> AsyncIterator[httpx.AsyncClient]:
    """A client from an address of its own (127.0.0.N): sign-ups are limited per address."""
    transport = httpx.AsyncHTTPTransport(local_address=f"127.0.0.{next(_next_address)}")
    async with httpx.AsyncClient(timeout=10, transport=transport) as client:
        yield client


async def test_sign_ups_are_limited_per_address(limited: Stack, office: httpx.AsyncClient) -> None:
    url = f"{limited.url('command')}/api/auth/register"
    for _ in range(5):
        await register(office, limited)
    body = {"name": "One Too Many", "email": f"{uuid.uuid4().hex}@example.com", "password": "correct horse battery"}
    refused = await office.post(url, json=body)
    assert refused.status_code == 429
    assert "sign-ups" in refused.json()["detail"]
    assert int(refused.headers["Retry-After"]) >= 1
    # Another address is not affected.
    transport = httpx.AsyncHTTPTransport(local_address=f"127.0.0.{next(_next_address)}")
    async with httpx.AsyncClient(timeout=10, transport=transport) as elsewhere:
        assert (await elsewhere.post(url, json=body)).status_code == 201


async def test_profile_changes_are_limited_per_account(http: httpx.AsyncClient, stack: Stack) -> None:
    user = await register(http, stack)
    url, headers = f"{stack.url('command')}/api/profile", bearer(user["access_token"])
    answers = [await http.put(url, json={"name": f"Name {i}"}, headers=headers) for i in range(40)]
    statuses = [a.status_code for a in answers]
    assert statuses.count(200) == 10  # the default burst
    refused = answers[-1]
    assert refused.status_code == 429
    assert refused.json()["detail"] == "too many profile changes, try again shortly"
    assert int(refused.headers["Retry-After"]) >= 1
    # Someone else is not affected.
    other = await register(http, stack)
    assert (await http.put(url, json={"name": "Fine"}, headers=bearer(other["access_token"]))).status_code == 200


async def test_user_pushes_are_gathered_latest_wins(
    http: httpx.AsyncClient, stack: Stack, sockets: SocketFactory
) -> None:
    watcher = await register(http, stack)
    renamer = await register(http, stack)
    socket = await sockets(stack.url("realtime"), watcher["access_token"])
    url, headers = f"{stack.url('command')}/api/profile", bearer(renamer["access_token"])
    names = [f"Rename {i}" for i in range(10)]
    for name in names:  # the whole burst, as fast as it goes
        assert (await http.put(url, json={"name": name}, headers=headers)).status_code == 200

    def pushes() -> list[dict[str, Any]]:
        return [u for u in received(socket, "user") if u["id"] == renamer["user"]["id"]]

    async def last_name_arrived() -> bool:
        return any(u["name"] == names[-1] for u in pushes())

    await eventually(last_name_arrived, what="the latest name pushed")
    assert len(pushes()) <= 4, pushes()  # ten renames in well under two windows' time: a few pushes, not ten
    assert pushes()[-1]["name"] == names[-1]


def _text_file(size: int) -> dict[str, Any]:
    return {"file": ("note.txt", b"a" * size, "text/plain")}


async def test_daily_upload_quota_by_count_and_bytes(limited: Stack, office: httpx.AsyncClient) -> None:
    url = f"{limited.url('command')}/api/uploads"
    counted = await register(office, limited)
    headers = bearer(counted["access_token"])
    for _ in range(3):
        assert (await office.post(url, files=_text_file(10), headers=headers)).status_code == 201
    refused = await office.post(url, files=_text_file(10), headers=headers)
    assert refused.status_code == 429
    assert refused.json()["detail"].startswith("daily upload limit reached: at most 3 uploads a day")
    assert 1 <= int(refused.headers["Retry-After"]) <= 86_400 + 1

    weighed = await register(office, limited)
    headers = bearer(weighed["access_token"])
    assert (await office.post(url, files=_text_file(600), headers=headers)).status_code == 201
    refused = await office.post(url, files=_text_file(600), headers=headers)
    assert refused.status_code == 429
    assert "at most 1000 bytes a day, 600 used" in refused.json()["detail"]
    # A refused type costs nothing: the smaller file still fits.
    assert (await office.post(url, files=_text_file(300), headers=headers)).status_code == 201


async def test_concurrent_uploads_never_pass_the_quota(limited: Stack, office: httpx.AsyncClient) -> None:
    user = await register(office, limited)
    url, headers = f"{limited.url('command')}/api/uploads", bearer(user["access_token"])
    answers = await asyncio.gather(*(office.post(url, files=_text_file(5), headers=headers) for _ in range(8)))
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [201] * 3 + [429] * 5


async def test_sockets_per_user_are_capped(limited: Stack, office: httpx.AsyncClient, sockets: SocketFactory) -> None:
    user = await register(office, limited)
    first = await sockets(limited.url("realtime"), user["access_token"])
    await sockets(limited.url("realtime"), user["access_token"])
    extra = socketio.AsyncClient(reconnection=False)
    errors: list[Any] = []
    extra.on("connect_error", errors.append)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await extra.connect(
            limited.url("realtime"),
            auth={"token": user["access_token"]},
            headers={"Origin": "http://localhost:8080"},
            transports=["websocket"],
            wait_timeout=5,
        )
    assert errors == [{"message": "too many connections: at most 2 per user"}]
    await first.disconnect()

    async def admitted_again() -> bool:
        try:
            await sockets(limited.url("realtime"), user["access_token"])
        except socketio.exceptions.ConnectionError:
            return False
        return True

    await eventually(admitted_again, what="a socket admitted once another closed")


async def test_typing_only_towards_real_people_within_a_budget(
    limited: Stack, infra: Infra, office: httpx.AsyncClient, sockets: SocketFactory
) -> None:
    typist, b, c, d, sentinel = [await register(office, limited) for _ in range(5)]
    heard: list[dict[str, str]] = []
    nc = await nats.connect(infra.nats.url)

    async def on_signal(msg: Any) -> None:
        heard.append(orjson.loads(msg.data))

    await nc.subscribe(f"{limited.name}.live.typing", cb=on_signal)
    await nc.flush()
    try:
        socket = await sockets(limited.url("realtime"), typist["access_token"])
        # Each call waits for the node to have handled it: the signals are published in this order.
        await socket.call("typing", {"to": uuid.uuid4().hex}, timeout=5)  # nobody: dropped (and counted)
        await socket.call("typing", {"to": typist["user"]["id"]}, timeout=5)  # yourself: dropped
        for peer in (b, c, d):  # one left in the burst of 2: only b
            await socket.call("typing", {"to": peer["user"]["id"]}, timeout=5)
        other = await sockets(limited.url("realtime"), sentinel["access_token"])
        await other.call("typing", {"to": b["user"]["id"]}, timeout=5)

        async def sentinel_heard() -> bool:
            return any(s["from"] == sentinel["user"]["id"] for s in heard)

        await eventually(sentinel_heard, what="the sentinel's signal")
        from_typist = [s for s in heard if s["from"] == typist["user"]["id"]]
        assert from_typist == [{"from": typist["user"]["id"], "to": b["user"]["id"]}]
    finally:
        await nc.close()

"""Nothing appended is lost while NATS is down: the command succeeds and the outbox publishes it later."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import SocketFactory
from tests.support import FerretDB, Infra, NatsServer, Stack, bearer, eventually, holds, register, sidebar


@pytest.fixture
def own_stack(infra: Infra) -> Iterator[Stack]:
    nats = NatsServer(infra.workdir)
    nats.start()
    stack = Stack(infra, nats).start()
    try:
        yield stack
    finally:
        stack.stop()
        nats.stop()
        nats.remove_data()


async def test_registration_during_a_nats_outage_reaches_the_users_view(
    http: httpx.AsyncClient, own_stack: Stack
) -> None:
    ada = await register(http, own_stack, name="Ada")
    own_stack.nats.stop()

    async def command_api_sees_nats_down() -> bool:
        ready = await http.get(f"{own_stack.url('command')}/readyz")
        return ready.status_code == 503 and ready.json()["dependencies"]["nats"] != "ok"

    await eventually(command_api_sees_nats_down, what="readiness reports NATS down")
    bob = await register(http, own_stack, name="Bob")  # succeeds while NATS is down
    own_stack.nats.start()

    async def bob_in_ada_sidebar() -> list[dict[str, Any]] | None:
        users = await sidebar(http, own_stack, ada["access_token"])
        return users if any(u["id"] == bob["user"]["id"] for u in users) else None

    await eventually(bob_in_ada_sidebar, timeout=30, what="bob projected after NATS came back")


@pytest.fixture
def own_database(infra: Infra, tmp_path: Path) -> Iterator[Stack]:
    """A stack on a FerretDB of its own, which the test stops; the driver gives up on a server after 1 s."""
    ferret = FerretDB(tmp_path)
    ferret.start()
    stack = Stack(
        Infra(ferretdb=ferret, nats=infra.nats, workdir=tmp_path),
        infra.nats,
        extra_env={"PARLEY_MONGODB_TIMEOUT_MS": "1000"},
    ).start()
    try:
        yield stack
    finally:
        stack.stop()
        ferret.stop()


async def test_sends_fail_fast_while_the_database_is_away_and_work_again_after(
    http: httpx.AsyncClient, own_database: Stack
) -> None:
    stack = own_database
    ada, bob = await register(http, stack, name="Ada"), await register(http, stack, name="Bob")

    async def send(text: str) -> tuple[httpx.Response, float]:
        started = time.monotonic()
        response = await http.post(
            f"{stack.url('command')}/api/messages",
            json={"to": bob["user"]["id"], "type": "text", "text": text, "client_msg_id": uuid.uuid4().hex},
            headers=bearer(ada["access_token"]),
            timeout=60,
        )
        return response, time.monotonic() - started

    first, _ = await send("before")
    assert first.status_code == 201
    stack.infra.ferretdb.stop()
    # Many sends into one conversation at once: they used to wait one after the other behind its lock, each for
    # the driver's full timeout (here 1 s; 5 s by default).
    answers = await asyncio.gather(*(send(f"during {i}") for i in range(40)))
    assert {r.status_code for r, _ in answers} == {503}
    assert all(r.json()["detail"] and int(r.headers["Retry-After"]) >= 1 for r, _ in answers)
    assert max(elapsed for _, elapsed in answers) < 5, sorted(elapsed for _, elapsed in answers)
    later, elapsed = await send("still away")
    assert later.status_code == 503 and elapsed < 0.5  # the breaker is open: no wait at all

    stack.infra.ferretdb.start()

    async def sent_again() -> bool:
        response, _ = await send("after")
        return response.status_code == 201

    await eventually(sent_again, timeout=30, what="sends work once the database is back")


async def test_a_node_whose_bus_came_back_tells_its_sockets_to_catch_up(
    http: httpx.AsyncClient, own_stack: Stack, sockets: SocketFactory
) -> None:
    # Events the outbox relays before a node has resubscribed after a NATS restart are never pushed by it, and
    # its later pushes move clients' cursors past them: the node tells its sockets where to catch up from.
    ada, bob = await register(http, own_stack, name="Ada"), await register(http, own_stack, name="Bob")
    bob_socket = await sockets(own_stack.url("realtime"), bob["access_token"])
    sent = await http.post(
        f"{own_stack.url('command')}/api/messages",
        json={"to": bob["user"]["id"], "type": "text", "text": "before", "client_msg_id": uuid.uuid4().hex},
        headers=bearer(ada["access_token"]),
    )
    assert sent.status_code == 201
    position = sent.json()["message"]["position"]

    def received(name: str) -> list[Any]:
        return [data for event, data in bob_socket.received if event == name]  # type: ignore[attr-defined]

    await eventually(lambda: holds(any(m["position"] == position for m in received("message"))), what="pushed")
    own_stack.nats.stop()

    async def node_sees_nats_down() -> bool:
        ready = await http.get(f"{own_stack.url('realtime')}/readyz")
        return ready.status_code == 503

    await eventually(node_sees_nats_down, what="the node notices NATS is down")
    during = await http.post(
        f"{own_stack.url('command')}/api/messages",
        json={"to": bob["user"]["id"], "type": "text", "text": "during", "client_msg_id": uuid.uuid4().hex},
        headers=bearer(ada["access_token"]),
    )
    assert during.status_code == 201  # in the log; the outbox publishes it once NATS is back
    own_stack.nats.start()
    await eventually(lambda: holds(bool(received("resync"))), timeout=30, what="resync")
    # From the last position the node pushed: "before", or a later event it heard before NATS went (Bob's
    # presence may be appended after "before"), never past what it missed.
    after = received("resync")[0]["after"]
    assert position <= after < during.json()["message"]["position"]
    # What the client then does: catch up from there, which brings the message whether or not it was pushed.
    caught_up = await http.get(
        f"{own_stack.url('query')}/api/sync", params={"after": after}, headers=bearer(bob["access_token"])
    )
    assert during.json()["message"]["id"] in [m["id"] for m in caught_up.json()["messages"]]

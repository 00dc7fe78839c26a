"""Nothing appended is lost while NATS is down: the command succeeds and the outbox publishes it later."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support import Infra, NatsServer, Stack, eventually, register, sidebar


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

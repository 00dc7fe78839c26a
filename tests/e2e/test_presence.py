"""Presence through the real services: tabs on two nodes, a crashed node, a connect storm. The registry's timing
(grace periods, reloads, node timeouts, a restarted registry) is tested on its own clock in
tests/integration/test_presence_registry.py."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from pymongo import AsyncMongoClient

from tests.conftest import SocketFactory
from tests.support import Infra, NatsServer, Stack, eventually, presence_changes, register, sidebar

GRACE = 1.0  # PARLEY_PRESENCE_GRACE_SECONDS in the test stacks


def presence_of(socket: Any, user_id: str) -> list[bool]:
    return [p["online"] for p in presence_changes(socket) if p["user_id"] == user_id]


async def until(condition: Any, what: str, timeout: float = 15.0) -> None:
    async def probe() -> bool:
        return bool(condition())

    await eventually(probe, timeout=timeout, what=what)


async def sidebar_entry(
    http: httpx.AsyncClient, stack: Stack, viewer: dict[str, Any], user_id: str
) -> dict[str, Any] | None:
    """The user as the viewer's sidebar lists them (None until the projector has added them)."""
    users = await sidebar(http, stack, viewer["access_token"])
    entry: dict[str, Any] | None = next((u for u in users if u["id"] == user_id), None)
    return entry


async def test_online_while_any_tab_is_open_across_nodes(
    http: httpx.AsyncClient, stack: Stack, sockets: SocketFactory
) -> None:
    alice, bob = await register(http, stack, name="Alice"), await register(http, stack, name="Bob")
    bob_socket = await sockets(stack.url("realtime2"), bob["access_token"])
    tab1 = await sockets(stack.url("realtime"), alice["access_token"])
    tab2 = await sockets(stack.url("realtime2"), alice["access_token"])
    await until(lambda: presence_of(bob_socket, alice["user"]["id"]) == [True], "bob sees alice online")

    async def alice_online_in_sidebar() -> bool:
        entry = await sidebar_entry(http, stack, bob, alice["user"]["id"])
        return entry is not None and bool(entry["online"]) and entry["last_seen"] is not None

    await eventually(alice_online_in_sidebar, what="sidebar says online")

    # Closing one tab leaves her online (the grace periods themselves: tests/integration/test_presence_registry.py).
    await tab1.disconnect()
    closed_at = time.monotonic()
    await tab2.disconnect()
    await until(lambda: presence_of(bob_socket, alice["user"]["id"]) == [True, False], "alice offline")
    assert time.monotonic() - closed_at < GRACE + 5
    offline = [p for p in presence_changes(bob_socket) if p["user_id"] == alice["user"]["id"]][-1]
    assert offline["last_seen"]

    async def alice_offline_in_sidebar() -> bool:
        entry = await sidebar_entry(http, stack, bob, alice["user"]["id"])
        return entry is not None and not entry["online"]

    await eventually(alice_offline_in_sidebar, what="sidebar says offline")


async def test_a_socket_hears_only_about_the_people_it_watches(
    http: httpx.AsyncClient, stack: Stack, sockets: SocketFactory
) -> None:
    alice, bob, carol = [await register(http, stack, name=n) for n in ("Alice", "Bob", "Carol")]
    await asyncio.sleep(2.5)  # no longer newcomers (PARLEY_PRESENCE_NEWCOMER_SECONDS), whose presence reaches all
    watcher = await sockets(stack.url("realtime"), bob["access_token"])
    everyone = await sockets(stack.url("realtime2"), bob["access_token"])  # names nobody: hears about everyone
    answer = await watcher.call("watch_presence", {"user_ids": [alice["user"]["id"]]}, timeout=10)
    assert answer == {"ok": True, "everyone": False}
    await sockets(stack.url("realtime2"), carol["access_token"])
    await sockets(stack.url("realtime2"), alice["access_token"])
    await until(lambda: presence_of(everyone, alice["user"]["id"]) == [True], "everyone hears alice")
    await until(lambda: presence_of(everyone, carol["user"]["id"]) == [True], "everyone hears carol")
    await until(lambda: presence_of(watcher, alice["user"]["id"]) == [True], "the watcher hears alice")
    assert presence_of(watcher, carol["user"]["id"]) == []
    # Someone who just signed up reaches everyone: nobody could name them before hearing of them.
    dan = await register(http, stack, name="Dan")
    await sockets(stack.url("realtime2"), dan["access_token"])
    await until(lambda: presence_of(watcher, dan["user"]["id"]) == [True], "the watcher hears the newcomer")
    # Naming people again replaces the list; naming more than a node allows means everyone.
    answer = await watcher.call("watch_presence", {"user_ids": [str(i) for i in range(3000)]}, timeout=10)
    assert answer == {"ok": True, "everyone": True}
    for bad in ({"user_ids": "alice"}, {"user_ids": [1]}, {"user_ids": ["x" * 65]}, None):
        answer = await watcher.call("watch_presence", bad, timeout=10)
        assert answer == {"ok": False, "error": "user_ids must be a list of user ids"}


async def test_a_connect_storm_appends_one_event_per_user(
    http: httpx.AsyncClient, stack: Stack, sockets: SocketFactory, mongo: AsyncMongoClient[dict[str, Any]]
) -> None:
    users = await asyncio.gather(*(register(http, stack, name=f"Storm {i}") for i in range(30)))
    # each user with three tabs, all at once, over both nodes
    await asyncio.gather(
        *(sockets(stack.url("realtime" if i % 2 else "realtime2"), u["access_token"]) for u in users for i in range(3))
    )
    ids = [u["user"]["id"] for u in users]
    events = mongo[stack.name]["events"]

    async def all_online() -> bool:
        return await events.count_documents({"type": "PresenceChanged", "data.user_id": {"$in": ids}}) >= len(ids)

    await eventually(all_online, what="everyone online")
    await asyncio.sleep(1.5)  # heartbeats pass: nothing more is appended
    assert await events.count_documents({"type": "PresenceChanged", "data.user_id": {"$in": ids}}) == len(ids)


@pytest.fixture
def crashable(infra: Infra) -> Iterator[Stack]:
    """A stack of its own (own NATS) with two realtime nodes, one of which the test kills."""
    nats = NatsServer(infra.workdir)
    nats.start()
    stack = Stack(infra, nats, realtime_nodes=2).start()
    try:
        yield stack
    finally:
        stack.stop()
        nats.stop()
        nats.remove_data()


async def test_users_of_a_killed_node_go_offline_and_come_back_elsewhere(
    http: httpx.AsyncClient, crashable: Stack, sockets: SocketFactory
) -> None:
    alice, bob = await register(http, crashable, name="Alice"), await register(http, crashable, name="Bob")
    bob_socket = await sockets(crashable.url("realtime2"), bob["access_token"])
    await sockets(crashable.url("realtime"), alice["access_token"])
    await until(lambda: presence_of(bob_socket, alice["user"]["id"]) == [True], "alice online")
    crashable.process("realtime").proc.kill()  # type: ignore[union-attr]  # kill -9: no goodbye
    killed_at = time.monotonic()
    await until(lambda: presence_of(bob_socket, alice["user"]["id"]) == [True, False], "alice expired", timeout=30)
    assert time.monotonic() - killed_at < 15  # node timeout 4 s here (30 s by default) plus the sweep
    await sockets(crashable.url("realtime2"), alice["access_token"])
    await until(lambda: presence_of(bob_socket, alice["user"]["id"]) == [True, False, True], "alice back")

"""Session fixtures: one FerretDB and one NATS for the run (temporary data, free ports), a Parley stack."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import socketio
from pydantic import TypeAdapter, ValidationError
from pymongo import AsyncMongoClient

from shared.schemas import SOCKET_EVENTS
from tests.support import FerretDB, Infra, NatsServer, Stack, unique

SOCKET_PAYLOADS: dict[str, TypeAdapter[Any]] = {name: TypeAdapter(shape) for name, shape in SOCKET_EVENTS.items()}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the browser tests last.

    Playwright's sync API keeps an event loop running in the main thread from the first browser test until the
    session ends; an asyncio test collected after it could not start its own loop. Moving the browser tests to
    the end keeps one `pytest` run (and one FerretDB and NATS) for everything.
    """
    browser_dir = Path(__file__).parent / "browser"
    items.sort(key=lambda item: Path(str(item.path)).is_relative_to(browser_dir))


@pytest.fixture(scope="session")
def infra(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Infra]:
    workdir = Path(os.environ.get("PARLEY_TEST_WORKDIR") or tmp_path_factory.mktemp("infra"))
    ferret = FerretDB(workdir)
    nats = NatsServer(workdir)
    ferret.start()
    nats.start()
    try:
        yield Infra(ferretdb=ferret, nats=nats, workdir=workdir)
    finally:
        nats.stop()
        ferret.stop()


@pytest.fixture(scope="session")
def stack(infra: Infra) -> Iterator[Stack]:
    """The four services, shared by the end-to-end tests (each test makes its own users)."""
    # Two realtime nodes: every push must reach users on either node. A generous message rate so tests that
    # send hundreds of messages are not throttled (the limit has its own test).
    # The APIs through the web gateway as shipped, as people reach them (tests/support/stack.py, Stack.url).
    s = Stack(
        infra,
        infra.nats,
        realtime_nodes=2,
        extra_env={"PARLEY_MESSAGE_RATE": "50", "PARLEY_MESSAGE_BURST": "100"},
        gateway=True,
    ).start()
    try:
        yield s
    finally:
        s.stop()


@pytest.fixture
async def mongo(infra: Infra) -> AsyncIterator[AsyncMongoClient[dict]]:  # type: ignore[type-arg]
    client: AsyncMongoClient[dict] = AsyncMongoClient(infra.ferretdb.url, tz_aware=True)  # type: ignore[type-arg]
    try:
        yield client
    finally:
        await client.close()


@pytest.fixture
def db_name() -> str:
    return unique("db")


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10) as client:
        yield client


SocketFactory = Callable[..., Awaitable[socketio.AsyncClient]]


@pytest.fixture
async def sockets() -> AsyncIterator[SocketFactory]:
    """Opens Socket.IO clients that record every event they receive in ``client.received``."""
    opened: list[socketio.AsyncClient] = []

    async def open_socket(
        url: str,
        token: str | None,
        origin: str | None = "http://localhost:8080",
        transports: list[str] | None = None,
    ) -> socketio.AsyncClient:
        client = socketio.AsyncClient(reconnection=False)
        client.received = []  # type: ignore[attr-defined]

        async def any_event(event: str, data: Any) -> None:
            client.received.append((event, data))  # type: ignore[attr-defined]
            if event in SOCKET_PAYLOADS:
                # Every payload any test receives matches the schema the web client's types are generated from.
                try:
                    SOCKET_PAYLOADS[event].validate_python(data, strict=False)
                except ValidationError as exc:
                    unschematic.append(f"{event}: {exc}")

        client.on("*", any_event)
        opened.append(client)
        await client.connect(
            url,
            auth={"token": token} if token is not None else None,
            headers={"Origin": origin} if origin else {},
            transports=transports or ["websocket"],
            wait_timeout=5,
        )
        return client

    unschematic: list[str] = []
    yield open_socket
    await asyncio.gather(*(asyncio.wait_for(c.disconnect(), 3) for c in opened if c.connected), return_exceptions=True)
    assert not unschematic, "socket payloads unlike shared.schemas.SOCKET_EVENTS:\n" + "\n".join(unschematic)

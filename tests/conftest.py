"""Session fixtures: one FerretDB and one NATS for the run (temporary data, free ports), a Parley stack."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from pymongo import AsyncMongoClient

from tests.support import FerretDB, Infra, NatsServer, Stack, unique


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
    s = Stack(infra, infra.nats).start()
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

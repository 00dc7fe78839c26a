"""Fixtures end-to-end modules share: two people on the shared stack; the replay modules' stack of their own."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from pymongo import AsyncMongoClient

from tests.support import Infra, Stack, register


@pytest.fixture
async def pair(http: httpx.AsyncClient, stack: Stack) -> tuple[dict[str, Any], dict[str, Any]]:
    return await register(http, stack, name="Alice"), await register(http, stack, name="Bob")


@pytest.fixture(scope="module")
def ops_stack(infra: Infra) -> Iterator[Stack]:
    """A stack of its own (its log holds only this module's events), with an admin."""
    s = Stack(
        infra,
        infra.nats,
        extra_env={"PARLEY_MESSAGE_RATE": "200", "PARLEY_MESSAGE_BURST": "400"},
    ).start()
    try:
        yield s
    finally:
        s.stop()


@pytest.fixture
def db(mongo: AsyncMongoClient[dict[str, Any]], ops_stack: Stack) -> AsyncMongoClient[dict[str, Any]]:
    """The test database client, once this module's stack runs."""
    return mongo

"""Fixtures of the integration tests: an event store on a fresh database of the session's FerretDB."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from shared.bus import Bus
from shared.event_store import EventStore
from tests.support import Infra, bus_settings


@pytest.fixture
async def store(mongo: AsyncMongoClient[dict[str, Any]], db_name: str) -> AsyncIterator[EventStore]:
    store = EventStore(mongo[db_name])
    await store.ensure_indexes()
    yield store
    await mongo.drop_database(db_name)


@pytest.fixture
async def bus(infra: Infra) -> AsyncIterator[Bus]:
    """A connected bus with a stream and subjects of its own on the session's NATS."""
    bus = Bus(bus_settings(infra.nats.url), name="test")
    bus.start()
    await bus.wait_ready()
    try:
        yield bus
    finally:
        await bus.close()

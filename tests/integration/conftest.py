"""Fixtures of the integration tests: an event store on a fresh database of the session's FerretDB."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from shared.event_store import EventStore


@pytest.fixture
async def store(mongo: AsyncMongoClient[dict[str, Any]], db_name: str) -> AsyncIterator[EventStore]:
    store = EventStore(mongo[db_name])
    await store.ensure_indexes()
    yield store
    await mongo.drop_database(db_name)

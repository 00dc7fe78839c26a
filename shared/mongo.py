"""MongoDB client creation (created in a lifespan, never at import)."""

from __future__ import annotations

from typing import Any

from pymongo import AsyncMongoClient

from shared.settings import Settings

Document = dict[str, Any]


def create_client(settings: Settings) -> AsyncMongoClient[Document]:
    # tz_aware: dates come back as aware UTC datetimes, equal to what was written.
    return AsyncMongoClient(
        settings.mongodb_url,
        tz_aware=True,
        serverSelectionTimeoutMS=settings.mongodb_timeout_ms,
        connectTimeoutMS=settings.mongodb_timeout_ms,
        appname=settings.service_name,
    )


async def ping(client: AsyncMongoClient[Document]) -> None:
    """Raises when MongoDB cannot be reached."""
    await client.admin.command("ping")

"""The ``users`` read model (the sidebar's people) from account events."""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

from projector.guards import upsert_if_newer
from shared.events import Envelope, UserRegistered
from shared.views import USERS


class UsersProjection:
    name = "users"
    collections: tuple[str, ...] = (USERS,)

    def __init__(self, views: AsyncDatabase[dict[str, Any]]) -> None:
        self.users = views[USERS]

    async def ensure_indexes(self) -> None:
        await self.users.create_index([("name_key", ASCENDING), ("_id", ASCENDING)], name="by_name")

    async def apply(self, event: Envelope) -> None:
        if event.type == UserRegistered.event_type:
            await self.on_user_registered(event)

    async def on_user_registered(self, event: Envelope) -> None:
        data = event.decode()
        assert isinstance(data, UserRegistered)
        await upsert_if_newer(
            self.users,
            data.user_id,
            version_field="profile_version",
            version=event.stream_version,
            fields={
                "name": data.name,
                "name_key": data.name.casefold(),
                "email": data.email,
                "registered_at": event.occurred_at,
            },
            defaults={"avatar": None, "online": False, "last_seen": None},
        )

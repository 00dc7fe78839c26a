"""The ``users`` read model (the sidebar's people) from account events."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from projector.bulk import load_many, write_each
from shared.events import Envelope, PresenceChanged, UserProfileUpdated, UserRegistered
from shared.views import USERS

_CACHE_MAX = 100_000


class UsersProjection:
    """Profile fields are guarded by ``profile_version`` (the user stream's version), so old or repeated events
    change nothing."""

    name = "users"
    collections: tuple[str, ...] = (USERS,)
    # Rewrites cost a scan of the view on FerretDB: gather a moment of events (presence storms) per write.
    linger = 0.25

    def __init__(self, views: AsyncDatabase[dict[str, Any]]) -> None:
        self.users = views[USERS]
        self._cache: dict[str, dict[str, Any]] = {}

    async def ensure_indexes(self) -> None:
        pass

    async def apply_batch(self, events: list[Envelope]) -> None:
        relevant = [
            e
            for e in events
            if e.type in (UserRegistered.event_type, UserProfileUpdated.event_type, PresenceChanged.event_type)
        ]
        if not relevant:
            return
        if len(self._cache) > _CACHE_MAX:
            self._cache.clear()
        await load_many(self.users, [e.data["user_id"] for e in relevant], self._cache)
        stored = set(self._cache)
        changed: dict[str, dict[str, Any]] = {}
        for event in relevant:
            if event.type == UserRegistered.event_type:
                self.on_user_registered(event, changed)
            elif event.type == PresenceChanged.event_type:
                self.on_presence_changed(event, changed)
            else:
                self.on_user_profile_updated(event, changed)
        await write_each(self.users, list(changed.values()), stored)

    def _doc(self, user_id: str, changed: dict[str, dict[str, Any]]) -> dict[str, Any]:
        doc = self._cache.get(user_id) or {
            "_id": user_id,
            "name": "",
            "email": "",
            "avatar": None,
            "online": False,
            "last_seen": None,
            "profile_version": 0,
            "presence_version": 0,
        }
        self._cache[user_id] = changed[user_id] = doc
        return doc

    def on_user_registered(self, event: Envelope, changed: dict[str, dict[str, Any]]) -> None:
        data = event.decode()
        assert isinstance(data, UserRegistered)
        doc = self._doc(data.user_id, changed)
        if doc["profile_version"] >= event.stream_version:
            return
        doc.update(
            name=data.name,
            email=data.email,
            registered_at=event.occurred_at,
            profile_version=event.stream_version,
        )

    def on_user_profile_updated(self, event: Envelope, changed: dict[str, dict[str, Any]]) -> None:
        data = event.decode()
        assert isinstance(data, UserProfileUpdated)
        doc = self._doc(data.user_id, changed)
        if doc["profile_version"] >= event.stream_version:
            return
        # The avatar is kept as a media id; whoever serves the user signs its thumbnail URL then.
        doc.update(name=data.name, avatar_media_id=data.avatar_media_id, profile_version=event.stream_version)

    def on_presence_changed(self, event: Envelope, changed: dict[str, dict[str, Any]]) -> None:
        """Guarded by ``presence_version`` (the presence stream's version), apart from the profile's."""
        data = event.decode()
        assert isinstance(data, PresenceChanged)
        doc = self._doc(data.user_id, changed)
        if doc.get("presence_version", 0) >= event.stream_version:
            return
        doc.update(online=data.online, last_seen=data.last_seen, presence_version=event.stream_version)

"""The ``users`` read model (the sidebar's people) from account events."""

from __future__ import annotations

from typing import Any

from projector.bulk import ViewDocuments
from shared.events import AdminGranted, AdminRevoked, Envelope, PresenceChanged, UserProfileUpdated, UserRegistered
from shared.views import USERS, ViewCatalog

_ADMIN = (AdminGranted.event_type, AdminRevoked.event_type)
_RELEVANT = (UserRegistered.event_type, UserProfileUpdated.event_type, PresenceChanged.event_type, *_ADMIN)


class UsersProjection:
    """Profile fields are guarded by ``profile_version`` (the user stream's version), presence by
    ``presence_version`` (the presence stream's), admin rights by ``admin_version`` (the admin stream's), so old or
    repeated events change nothing."""

    name = "users"
    models: tuple[str, ...] = (USERS,)
    # Gather a moment of events (presence storms) per write: a person is written once per batch, not per event.
    linger = 0.25

    def __init__(self, views: ViewCatalog) -> None:
        # Replaced in place: a person never blinks out of the sidebar.
        self.users = ViewDocuments(views[USERS], limit=100_000)

    async def ensure_indexes(self) -> None:
        pass

    def begin_rebuild(self) -> None:
        self.users.begin_rebuild()

    async def flush(self) -> None:
        await self.users.flush()

    async def apply_batch(self, events: list[Envelope]) -> None:
        relevant = [e for e in events if e.type in _RELEVANT]
        if not relevant:
            return
        await self.users.load([e.data["user_id"] for e in relevant])
        changed: dict[str, dict[str, Any]] = {}
        for event in relevant:
            if event.type == UserRegistered.event_type:
                self.on_user_registered(event, changed)
            elif event.type == PresenceChanged.event_type:
                self.on_presence_changed(event, changed)
            elif event.type in _ADMIN:
                self.on_admin_changed(event, changed)
            else:
                self.on_user_profile_updated(event, changed)
        await self.users.write(changed)

    def _doc(self, user_id: str, changed: dict[str, dict[str, Any]]) -> dict[str, Any]:
        return self.users.edit(
            user_id,
            changed,
            lambda: {
                "_id": user_id,
                "name": "",
                "email": "",
                "avatar": None,
                "online": False,
                "last_seen": None,
                "profile_version": 0,
                "presence_version": 0,
            },
        )

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
        data = event.decode()
        assert isinstance(data, PresenceChanged)
        doc = self._doc(data.user_id, changed)
        if doc.get("presence_version", 0) >= event.stream_version:
            return
        doc.update(
            online=data.online,
            last_seen=data.last_seen,
            presence_reason=data.reason,
            presence_version=event.stream_version,
        )

    def on_admin_changed(self, event: Envelope, changed: dict[str, dict[str, Any]]) -> None:
        data = event.decode()
        assert isinstance(data, AdminGranted | AdminRevoked)
        doc = self._doc(data.user_id, changed)
        if doc.get("admin_version", 0) >= event.stream_version:
            return
        # The query API checks this field (one read by _id) before serving the audit trail.
        doc.update(admin=isinstance(data, AdminGranted), admin_version=event.stream_version)

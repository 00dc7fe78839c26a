"""The ``users`` read model (the sidebar's people) from account events."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import Any

import orjson

from projector.bulk import ViewDocuments
from shared.dispatch import EventHandlers
from shared.events import AdminGranted, AdminRevoked, Envelope, PresenceChanged, UserProfileUpdated, UserRegistered
from shared.views import (
    DIRECTORY,
    DIRECTORY_CHUNKS,
    DIRECTORY_VERSIONS,
    USERS,
    ViewCatalog,
    directory_chunk,
    directory_chunk_id,
)

Changes = dict[str, dict[str, Any]]  # user id -> the user's document as the batch leaves it


class UsersProjection:
    """Profile fields are guarded by ``profile_version`` (the user stream's version), presence by
    ``presence_version`` (the presence stream's), admin rights by ``admin_version`` (the admin stream's), so old or
    repeated events change nothing."""

    name = "users"
    models: tuple[str, ...] = (USERS, DIRECTORY)
    # Gather a moment of events (presence storms) per write: a person is written once per batch, not per event.
    linger = 0.25

    def __init__(self, views: ViewCatalog) -> None:
        # Replaced in place: a person never blinks out of the sidebar.
        self.users = ViewDocuments(views[USERS], limit=100_000)
        # Every name in DIRECTORY_CHUNKS documents, and a document of their content hashes: the query API reloads
        # a chunk only when its hash changed.
        self.directory = ViewDocuments(views[DIRECTORY], limit=1_000)
        self.handlers = EventHandlers[Changes, None]()
        self.handlers.on(UserRegistered, self.on_user_registered)
        self.handlers.on(UserProfileUpdated, self.on_user_profile_updated)
        self.handlers.on(PresenceChanged, self.on_presence_changed)
        self.handlers.on(AdminGranted, self.on_admin_changed)
        self.handlers.on(AdminRevoked, self.on_admin_changed)

    async def ensure_indexes(self) -> None:
        pass

    def begin_rebuild(self) -> None:
        self.users.begin_rebuild()
        self.directory.begin_rebuild()

    async def flush(self) -> None:
        await self.users.flush()
        await self.directory.flush()

    async def apply_batch(self, events: list[Envelope]) -> None:
        relevant = [e for e in events if self.handlers.handles(e)]
        if not relevant:
            return
        await self.users.load([e.data["user_id"] for e in relevant])
        changed: Changes = {}
        for event in relevant:
            self.handlers(event, changed)
        await self._list_names(changed)
        await self.users.write(changed)

    async def _list_names(self, changed: dict[str, dict[str, Any]]) -> None:
        """Keep the directory's chunks in step with the names of changed users."""
        named = {user_id: doc["name"] for user_id, doc in changed.items() if doc["name"]}
        by_chunk: dict[str, dict[str, str]] = {}
        for user_id, name in named.items():
            by_chunk.setdefault(directory_chunk_id(directory_chunk(user_id)), {})[user_id] = name
        await self.directory.load([*by_chunk, DIRECTORY_VERSIONS])
        edits: dict[str, dict[str, Any]] = {}
        for chunk_id, names in by_chunk.items():
            known = self.directory.docs.get(chunk_id)
            listed = {p["id"]: p["name"] for p in known["people"]} if known else {}
            if known is not None and all(listed.get(i) == n for i, n in names.items()):
                continue  # presence and the like: no name changed
            people = listed | names
            doc = self.directory.edit(chunk_id, edits, _empty_chunk(chunk_id))
            doc["people"] = [{"id": i, "name": people[i]} for i in sorted(people)]
        if not edits:
            return
        versions = self.directory.edit(DIRECTORY_VERSIONS, edits, _empty_versions)
        for chunk_id in edits:
            if chunk_id != DIRECTORY_VERSIONS:
                versions["chunks"][int(chunk_id.removeprefix("chunk:"))] = _content_hash(edits[chunk_id]["people"])
        await self.directory.write(edits)

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

    def on_user_registered(self, event: Envelope, data: UserRegistered, changed: Changes) -> None:
        doc = self._doc(data.user_id, changed)
        # What only a registration says (the email, when) holds even when a later profile change was applied
        # first (each command API publishes its own appends, and a redelivery can come late); the name is the
        # profile's, guarded by the user stream's version like a profile change.
        doc.update(email=data.email, registered_at=event.occurred_at)
        if doc["profile_version"] < event.stream_version:
            doc.update(name=data.name, profile_version=event.stream_version)

    def on_user_profile_updated(self, event: Envelope, data: UserProfileUpdated, changed: Changes) -> None:
        doc = self._doc(data.user_id, changed)
        if doc["profile_version"] >= event.stream_version:
            return
        # The avatar is kept as a media id; whoever serves the user signs its thumbnail URL then.
        doc.update(name=data.name, avatar_media_id=data.avatar_media_id, profile_version=event.stream_version)

    def on_presence_changed(self, event: Envelope, data: PresenceChanged, changed: Changes) -> None:
        doc = self._doc(data.user_id, changed)
        if doc.get("presence_version", 0) >= event.stream_version:
            return
        doc.update(
            online=data.online,
            last_seen=data.last_seen,
            presence_reason=data.reason,
            presence_version=event.stream_version,
        )

    def on_admin_changed(self, event: Envelope, data: AdminGranted | AdminRevoked, changed: Changes) -> None:
        doc = self._doc(data.user_id, changed)
        if doc.get("admin_version", 0) >= event.stream_version:
            return
        # The query API checks this field (one read by _id) before serving the audit trail.
        doc.update(admin=isinstance(data, AdminGranted), admin_version=event.stream_version)


def _empty_chunk(chunk_id: str) -> Callable[[], dict[str, Any]]:
    return lambda: {"_id": chunk_id, "people": []}


def _empty_versions() -> dict[str, Any]:
    return {"_id": DIRECTORY_VERSIONS, "chunks": [0] * DIRECTORY_CHUNKS}


def _content_hash(people: list[dict[str, str]]) -> int:
    """Equal for equal content, so a directory rebuilt from the log is not reloaded for nothing."""
    return zlib.crc32(orjson.dumps(people))

"""The ``media`` read model: each upload's stored bytes and metadata, and who may download it.

``viewers`` holds the uploader and both participants of every conversation the upload was sent in. An upload and
the messages that carry it are different streams, so they may be applied in either order: every change is a set
union or sets fixed values, and applying an event twice changes nothing. One consumer owns this view, so it keeps
the documents it wrote in memory and writes each batch's changes at once.
"""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from projector.bulk import load_many, replace_all
from shared.events import Envelope, MediaUploaded, MessageSent
from shared.views import MEDIA

_CACHE_MAX = 50_000


class MediaProjection:
    name = "media"
    collections: tuple[str, ...] = (MEDIA,)

    def __init__(self, views: AsyncDatabase[dict[str, Any]]) -> None:
        self.media = views[MEDIA]
        self._cache: dict[str, dict[str, Any]] = {}

    async def ensure_indexes(self) -> None:
        """Read by ``_id`` only."""

    async def apply_batch(self, events: list[Envelope]) -> None:
        relevant = [
            e
            for e in events
            if e.type == MediaUploaded.event_type or (e.type == MessageSent.event_type and e.data.get("media"))
        ]
        if not relevant:
            return
        if len(self._cache) > _CACHE_MAX:
            self._cache.clear()
        await load_many(self.media, [_media_id(e) for e in relevant], self._cache)
        changed: dict[str, dict[str, Any]] = {}
        for event in relevant:
            if event.type == MediaUploaded.event_type:
                self.on_media_uploaded(event, changed)
            else:
                self.on_message_sent(event, changed)
        await replace_all(self.media, list(changed.values()))
        # Remembered only once written: a batch that fails is applied again from what is really stored.
        self._cache.update(changed)

    def _merge(self, media_id: str, fields: dict[str, Any], viewers: list[str], changed: dict[str, Any]) -> None:
        doc = changed.get(media_id) or self._cache.get(media_id) or {"_id": media_id, "viewers": []}
        merged = list(dict.fromkeys([*doc["viewers"], *viewers]))
        if merged == doc["viewers"] and all(doc.get(k) == v for k, v in fields.items()):
            return
        changed[media_id] = {**doc, **fields, "viewers": merged}

    def on_media_uploaded(self, event: Envelope, changed: dict[str, Any]) -> None:
        data = event.decode()
        assert isinstance(data, MediaUploaded)
        fields = data.model_dump(exclude={"media_id"})
        fields["uploaded_at"] = event.occurred_at
        self._merge(data.media_id, fields, [data.uploader_id], changed)

    def on_message_sent(self, event: Envelope, changed: dict[str, Any]) -> None:
        data = event.decode()
        assert isinstance(data, MessageSent) and data.media is not None
        self._merge(str(data.media["id"]), {}, [data.sender_id, data.receiver_id], changed)


def _media_id(event: Envelope) -> str:
    if event.type == MediaUploaded.event_type:
        return str(event.data["media_id"])
    return str(event.data["media"]["id"])

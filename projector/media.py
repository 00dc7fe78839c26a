"""The ``media`` read model: each upload's stored bytes and metadata, and who may download it.

``viewers`` holds the uploader and both participants of every conversation the upload was sent in. An upload and
the messages that carry it are different streams, so they may be applied in either order: every change is a set
union or sets fixed values, and applying an event twice changes nothing.
"""

from __future__ import annotations

from typing import Any

from projector.bulk import ViewDocuments
from shared.dispatch import EventHandlers
from shared.events import Envelope, MediaUploaded, MessageSent
from shared.views import MEDIA, ViewCatalog


class MediaProjection:
    name = "media"
    models: tuple[str, ...] = (MEDIA,)

    def __init__(self, views: ViewCatalog) -> None:
        self.media = ViewDocuments(views[MEDIA])
        self.handlers = EventHandlers[dict[str, Any], None]()
        self.handlers.on(MediaUploaded, self.on_media_uploaded)
        self.handlers.on(MessageSent, self.on_message_sent)

    async def ensure_indexes(self) -> None:
        """Read by ``_id`` only."""

    def begin_rebuild(self) -> None:
        self.media.begin_rebuild()

    async def flush(self) -> None:
        await self.media.flush()

    async def apply_batch(self, events: list[Envelope]) -> None:
        relevant = [
            e
            for e in events
            if e.type == MediaUploaded.event_type or (e.type == MessageSent.event_type and e.data.get("media"))
        ]
        if not relevant:
            return
        await self.media.load([_media_id(e) for e in relevant])
        changed: dict[str, dict[str, Any]] = {}
        for event in relevant:
            self.handlers(event, changed)
        await self.media.write(changed)

    def _merge(self, media_id: str, fields: dict[str, Any], viewers: list[str], changed: dict[str, Any]) -> None:
        doc = changed.get(media_id) or self.media.docs.get(media_id) or {"_id": media_id, "viewers": []}
        # A set, kept sorted: a replay and a live projection that got the messages in another order agree.
        merged = sorted({*doc["viewers"], *viewers})
        if merged == doc["viewers"] and all(doc.get(k) == v for k, v in fields.items()):
            return
        changed[media_id] = {**doc, **fields, "viewers": merged}

    def on_media_uploaded(self, event: Envelope, data: MediaUploaded, changed: dict[str, Any]) -> None:
        fields = data.model_dump(exclude={"media_id"})
        fields["uploaded_at"] = event.occurred_at
        self._merge(data.media_id, fields, [data.uploader_id], changed)

    def on_message_sent(self, event: Envelope, data: MessageSent, changed: dict[str, Any]) -> None:
        if data.media is None:
            return  # a text message: no media to let its participants see
        self._merge(str(data.media["id"]), {}, [data.sender_id, data.receiver_id], changed)


def _media_id(event: Envelope) -> str:
    if event.type == MediaUploaded.event_type:
        return str(event.data["media_id"])
    return str(event.data["media"]["id"])

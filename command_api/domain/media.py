"""Media: recording an upload, and attaching one to a message or a profile (pure decisions, no I/O)."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from command_api.domain.rules import DecisionError
from shared.events import Envelope, MediaKind, MediaUploaded, MessageType, NewEvent
from shared.streams import media_stream

MAX_NAME_CHARS = 200
# Bidirectional controls would let "photo\u202egnp.exe" display as "photoexe.png".
_BIDI_CONTROLS = dict.fromkeys(map(ord, "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))
UNKNOWN_MEDIA = "unknown media_id"


class MediaRefused(Exception):
    """An upload that is not accepted: ``status`` is 415 (type refused) or 422 (empty, damaged, too many pixels)."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def unsupported(detail: str) -> MediaRefused:
    return MediaRefused(415, detail)


def damaged(detail: str) -> MediaRefused:
    return MediaRefused(422, detail)


def media_key(media_id: str) -> str:
    """The idempotency key of an upload: lets readers find it by ``_id`` instead of scanning the log."""
    return f"media:{media_id}"


def sanitize_name(raw: str | None, *, fallback: str) -> str:
    """A display name from the user's file name: last path segment, no control characters, at most 200 chars.

    Only ever shown and put in Content-Disposition; never used as a path.
    """
    name = unicodedata.normalize("NFC", raw or "")
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch) != "Cc").translate(_BIDI_CONTROLS)
    name = name.strip(" \t.")
    if not name:
        return fallback
    if len(name) > MAX_NAME_CHARS:
        stem, dot, suffix = name.rpartition(".")
        if dot and stem and len(suffix) <= 16:
            name = stem[: MAX_NAME_CHARS - len(suffix) - 1].rstrip() + "." + suffix
        else:
            name = name[:MAX_NAME_CHARS].rstrip()
    return name


def upload_media(
    *,
    media_id: str,
    uploader_id: str,
    sha256: str,
    name: str,
    size: int,
    mime: str,
    kind: MediaKind,
    width: int | None,
    height: int | None,
    thumbnail_sha256: str | None,
    correlation_id: str | None,
) -> NewEvent:
    """Decide the record of a stored upload (its own stream, first and only event)."""
    if size <= 0:
        raise damaged("the file is empty")
    return NewEvent(
        stream=media_stream(media_id),
        data=MediaUploaded(
            media_id=media_id,
            uploader_id=uploader_id,
            sha256=sha256,
            name=name,
            size=size,
            mime=mime,
            kind=kind,
            width=width,
            height=height,
            thumbnail_sha256=thumbnail_sha256,
        ),
        actor_id=uploader_id,
        idempotency_key=media_key(media_id),
        correlation_id=correlation_id,
    )


def media_meta(data: MediaUploaded) -> dict[str, Any]:
    """The metadata a message carries (``MessageSent.media``); URLs are signed when it is served."""
    return {
        "id": data.media_id,
        "name": data.name,
        "size": data.size,
        "mime": data.mime,
        "kind": data.kind,
        "width": data.width,
        "height": data.height,
    }


def own_upload(uploaded: Envelope | None, *, user_id: str) -> MediaUploaded:
    """The caller's upload. Someone else's upload is answered exactly like a missing one (422 unknown media_id):
    nobody learns which ids exist."""
    if uploaded is None:
        raise DecisionError(UNKNOWN_MEDIA)
    data = uploaded.decode()
    if not isinstance(data, MediaUploaded) or data.uploader_id != user_id:
        raise DecisionError(UNKNOWN_MEDIA)
    return data


def attach_media(uploaded: Envelope | None, *, sender_id: str, message_type: MessageType) -> dict[str, Any]:
    """The media metadata of a message of ``message_type`` that refers to ``uploaded``.

    Only the uploader may attach it; image, video and audio messages need an upload of that kind, a file message
    takes any kind.
    """
    data = own_upload(uploaded, user_id=sender_id)
    if message_type == "text":
        raise DecisionError("a text message has no media_id")
    if message_type != "file" and data.kind != message_type:
        article = _article(message_type)
        raise DecisionError(f"{article} message needs {article} upload; this one is {_article(data.kind)}")
    return media_meta(data)


def avatar_upload(uploaded: Envelope | None, *, user_id: str) -> str:
    """The media id of an avatar: an image the user uploaded."""
    data = own_upload(uploaded, user_id=user_id)
    if data.kind != "image":
        raise DecisionError(f"an avatar must be an image; this upload is {data.kind}")
    return data.media_id


def _article(kind: str) -> str:
    return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"

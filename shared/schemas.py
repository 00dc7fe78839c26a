"""Response models clients see (they document the OpenAPI schemas of both APIs)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel


class MediaOut(BaseModel):
    id: str
    name: str
    size: int
    mime: str
    kind: Literal["image", "video", "audio", "file"]
    width: int | None = None
    height: int | None = None
    url: str
    thumbnail_url: str | None = None


class MessageOut(BaseModel):
    id: str
    seq: int
    position: int
    conversation_id: str
    sender_id: str
    receiver_id: str
    type: Literal["text", "image", "video", "audio", "file"]
    text: str
    media: MediaOut | None = None
    client_msg_id: str
    sent_at: datetime


class ReadOut(BaseModel):
    conversation_id: str
    reader_id: str
    peer_id: str
    up_to_seq: int
    read_at: datetime
    position: int


class MessageResponse(BaseModel):
    message: MessageOut


class ReadResponse(BaseModel):
    read: ReadOut

"""The sidebar's page cursor: opaque to clients (URL-safe base64 of a small JSON), checked when read back."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import orjson
from fastapi import HTTPException, status

Phase = Literal["conversations", "people"]


@dataclass(frozen=True, slots=True)
class Cursor:
    # The people I have a conversation with come first, then everyone else by name.
    phase: Phase
    # The last entry of the previous page: (activity ISO time, peer id) or (casefolded name, id).
    after: tuple[str, str] | None


def encode_cursor(cursor: Cursor) -> str:
    raw = orjson.dumps({"p": cursor.phase, "a": list(cursor.after) if cursor.after else None})
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(value: str | None) -> Cursor:
    """The cursor a client sent back; 422 for anything we did not hand out."""
    if not value:
        return Cursor("conversations", None)
    try:
        obj = orjson.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
        phase, after = obj["p"], obj["a"]
        if phase not in ("conversations", "people"):
            raise ValueError(phase)
        if after is not None:
            if not (isinstance(after, list) and len(after) == 2 and all(isinstance(a, str) for a in after)):
                raise ValueError(after)
            if phase == "conversations":
                datetime.fromisoformat(after[0])
            after = (after[0], after[1])
        return Cursor(phase, after)
    except (ValueError, TypeError, KeyError, binascii.Error, orjson.JSONDecodeError) as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "malformed cursor") from exc

"""The name of every stream in the log, in one place: a stream holds one aggregate's events, ``<kind>:<id>``.

A conversation's stream name is also its id everywhere (views, payloads, clients' keys).
"""

from __future__ import annotations

import re

# Media ids are made here (uuid4 hex); anything else names no upload, without a lookup.
_MEDIA_ID = re.compile(r"^[0-9a-f]{32}$")


def user_stream(user_id: str) -> str:
    """A user's account and profile: registration, profile changes, session generations."""
    return f"user:{user_id}"


def sessions_stream(user_id: str) -> str:
    """A user's logins and logouts."""
    return f"sessions:{user_id}"


def credentials_stream(user_id: str) -> str:
    """A user's password changes."""
    return f"credentials:{user_id}"


def admin_stream(user_id: str) -> str:
    """Whether the user is an admin (granted and revoked by an operator with ``parley admin``)."""
    return f"admin:{user_id}"


def conversation_id(user_a: str, user_b: str) -> str:
    """One stream per pair, whoever writes first: ``dm:<smaller id>:<larger id>``."""
    low, high = sorted((user_a, user_b))
    return f"dm:{low}:{high}"


def participants(conversation: str) -> tuple[str, str]:
    _, low, high = conversation.split(":", 2)
    return low, high


def reads_stream(conversation: str, reader_id: str) -> str:
    """A reader's receipts live in their own stream, so a conversation's version stays its message count."""
    return f"reads:{conversation}:{reader_id}"


def presence_stream(user_id: str) -> str:
    return f"presence:{user_id}"


def media_stream(media_id: str) -> str:
    """One upload (its events: uploaded, and what came of it)."""
    return f"media:{media_id}"


def is_media_id(value: str) -> bool:
    return bool(_MEDIA_ID.match(value))

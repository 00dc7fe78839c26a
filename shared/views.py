"""Names and shapes of the read models, shared by the projector (writer) and the query API (reader)."""

from __future__ import annotations

from typing import Any

USERS = "users"
MESSAGES = "messages"
CONVERSATIONS = "conversations"
# Who may download each upload (its uploader and the participants of conversations it was sent in), with its meta.
MEDIA = "media"


def summary_id(owner_id: str, peer_id: str) -> str:
    """One conversation summary per owner and peer."""
    return f"{owner_id}:{peer_id}"


def public_user(doc: dict[str, Any]) -> dict[str, Any]:
    """A user as other users see it in the sidebar."""
    return {
        "id": doc["_id"],
        "name": doc["name"],
        "avatar": doc.get("avatar"),
        "online": bool(doc.get("online", False)),
        "last_seen": doc.get("last_seen"),
    }

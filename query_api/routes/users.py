"""Users: yourself, and everyone else for the sidebar with each conversation's summary."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel

from query_api.deps import CurrentUserId, EventStoreDep, SignerDep, ViewsDep
from shared.media_urls import MediaSigner
from shared.schemas import MessageOut
from shared.views import CONVERSATIONS, USERS, public_user

router = APIRouter(prefix="/api", tags=["users"])


class User(BaseModel):
    id: str
    name: str
    avatar: str | None = None
    online: bool = False
    last_seen: datetime | None = None


class Me(User):
    email: str


class MeResponse(BaseModel):
    user: Me
    # The log position to start catching up from (GET /api/sync?after=...) after loading the current state.
    sync_position: int


class ConversationSummary(BaseModel):
    conversation_id: str
    last_message: MessageOut | None = None
    last_activity_at: datetime | None = None
    unread: int = 0
    read_seq: int = 0
    peer_read_seq: int = 0


class SidebarUser(User):
    conversation: ConversationSummary | None = None


@router.get("/me", responses={404: {"description": "Account not projected yet"}})
async def me(user_id: CurrentUserId, views: ViewsDep, store: EventStoreDep, signer: SignerDep) -> MeResponse:
    """The signed-in user's own profile, and the position to catch up from."""
    # Read the position first: anything after it is found by a sync, even if it lands while we read the view. A
    # position a moment behind the head is as good (the first sync returns a few more events, which the client
    # already has and skips), and it costs no read of the log.
    position = await store.reached_position()
    doc = await views[USERS].find_one({"_id": user_id})
    if doc is None:
        raise HTTPException(404, "user not found")
    return MeResponse(user=Me(**_public(doc, signer), email=doc["email"]), sync_position=position)


def _public(doc: dict[str, Any], signer: MediaSigner) -> dict[str, Any]:
    """A user as served: the avatar is a signed thumbnail URL (loads in an <img> without headers)."""
    return {**public_user(doc), "avatar": signer.avatar(doc.get("avatar_media_id"))}


def _summary(doc: dict[str, Any], signer: MediaSigner) -> ConversationSummary:
    last = doc.get("last_message")
    return ConversationSummary(**{**doc, "last_message": signer.message(last) if last else None})


def _sidebar_order(entry: SidebarUser) -> tuple[float, str, str]:
    activity = entry.conversation.last_activity_at if entry.conversation else None
    return (-activity.timestamp() if activity else float("inf"), entry.name.casefold(), entry.id)


@router.get("/users")
async def users(user_id: CurrentUserId, views: ViewsDep, signer: SignerDep) -> list[SidebarUser]:
    """Every other user, most recent conversation first, then by name."""
    summaries: dict[str, dict[str, Any]] = {
        doc["peer_id"]: doc async for doc in views[CONVERSATIONS].find({"owner_id": user_id})
    }
    entries = []
    async for doc in views[USERS].find({"_id": {"$ne": user_id}}):
        summary = summaries.get(doc["_id"])
        entries.append(SidebarUser(**_public(doc, signer), conversation=_summary(summary, signer) if summary else None))
    return sorted(entries, key=_sidebar_order)

"""Users: yourself, and everyone else for the sidebar with each conversation's summary, in pages."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query

from query_api.cursors import Cursor, decode_cursor, encode_cursor
from query_api.deps import CurrentUserId, DirectoryDep, EventReaderDep, SignerDep, ViewsDep
from query_api.directory import name_key
from shared.media_urls import MediaSigner
from shared.mongo import find_by_id
from shared.schemas import ConversationSummaryOut, Out, OwnUserOut, SidebarUserOut
from shared.views import CONVERSATION_LISTS, CONVERSATIONS, USERS, public_user, summary_id

router = APIRouter(prefix="/api", tags=["users"])


class MeResponse(Out):
    user: OwnUserOut
    # The log position to start catching up from (GET /api/sync?after=...) after loading the current state.
    sync_position: int


@router.get("/me", responses={404: {"description": "Account not projected yet"}})
async def me(user_id: CurrentUserId, views: ViewsDep, store: EventReaderDep, signer: SignerDep) -> MeResponse:
    """The signed-in user's own profile, and the position to catch up from."""
    # Read the position first: anything after it is found by a sync, even if it lands while we read the view. A
    # position a moment behind the head is as good (the first sync returns a few more events, which the client
    # already has and skips), and it costs no read of the log.
    position = await store.reached_position()
    doc = await views[USERS].find_one({"_id": user_id})
    if doc is None:
        raise HTTPException(404, "user not found")
    return MeResponse(user=OwnUserOut(**_public(doc, signer), email=doc["email"]), sync_position=position)


def _public(doc: dict[str, Any], signer: MediaSigner) -> dict[str, Any]:
    """A user as served: the avatar is a signed thumbnail URL (loads in an <img> without headers)."""
    return {**public_user(doc), "avatar": signer.avatar(doc.get("avatar_media_id"))}


def _summary(doc: dict[str, Any], signer: MediaSigner) -> ConversationSummaryOut:
    last = doc.get("last_message")
    return ConversationSummaryOut(**{**doc, "last_message": signer.message(last) if last else None})


class SidebarPage(Out):
    users: list[SidebarUserOut]
    # Pass as `cursor` for the next page; null on the last page.
    next_cursor: str | None


_CURSOR_RESPONSES: dict[int | str, dict[str, Any]] = {422: {"description": "Malformed cursor or parameter"}}


@router.get("/users", responses=_CURSOR_RESPONSES)
async def users(
    user_id: CurrentUserId,
    views: ViewsDep,
    signer: SignerDep,
    directory: DirectoryDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 30,
    cursor: Annotated[str | None, Query(max_length=400, description="`next_cursor` of the previous page")] = None,
    q: Annotated[str | None, Query(min_length=1, max_length=100, description="A word of the name starts with")] = None,
) -> SidebarPage:
    """Everyone else, in pages: the people I have a conversation with (most recent first), then everyone by name."""
    position = decode_cursor(cursor)
    if cursor is None:
        # A first page (or a new search) sees everyone projected so far; later pages follow the cursor's order.
        await directory.fresh()
    query = name_key(q.strip()) if q and q.strip() else None
    listing = await views[CONVERSATION_LISTS].find_one({"_id": user_id})
    peers: list[dict[str, Any]] = listing["peers"] if listing else []
    skip = {user_id, *(p["peer_id"] for p in peers)}
    page: list[str] = []
    talked: list[str] = []  # the page's people with a conversation (the others have no summary to read)
    next_position: Cursor | None = None
    if position.phase == "conversations":
        chosen = [
            p for p in peers if p["peer_id"] != user_id and (query is None or directory.matches(p["peer_id"], query))
        ]
        if position.after is not None:
            after = (-datetime.fromisoformat(position.after[0]).timestamp(), position.after[1])
            chosen = [p for p in chosen if (-p["at"].timestamp(), p["peer_id"]) > after]
        page = [p["peer_id"] for p in chosen[: limit + 1]]
        if len(page) > limit:
            last = chosen[limit - 1]
            page = page[:limit]
            next_position = Cursor("conversations", (last["at"].isoformat(), last["peer_id"]))
        else:
            position = Cursor("people", None)
        talked = list(page)
    if position.phase == "people" and len(page) < limit:
        room = limit - len(page)
        named = (
            directory.search(query, position.after, skip, room + 1)
            if query is not None
            else directory.by_name(position.after, skip, room + 1)
        )
        page += [user for _, user in named[:room]]
        if len(named) > room:
            next_position = Cursor("people", named[room - 1])
    docs, summaries = await asyncio.gather(
        find_by_id(views[USERS], page),
        find_by_id(views[CONVERSATIONS], [summary_id(user_id, peer) for peer in talked]),
    )
    entries = [
        SidebarUserOut(**_public(docs[peer], signer), conversation=_summary_of(summaries, user_id, peer, signer))
        for peer in page
        if peer in docs
    ]
    return SidebarPage(users=entries, next_cursor=encode_cursor(next_position) if next_position else None)


@router.get("/users/{peer_id}", responses={404: {"description": "Unknown user, or yourself"}})
async def user(peer_id: str, user_id: CurrentUserId, views: ViewsDep, signer: SignerDep) -> SidebarUserOut:
    """One other person as the sidebar shows them (for a message or an event about someone not loaded yet)."""
    if peer_id == user_id or len(peer_id) > 64:
        raise HTTPException(404, "user not found")
    doc, summary = await asyncio.gather(
        views[USERS].find_one({"_id": peer_id}),
        views[CONVERSATIONS].find_one({"_id": summary_id(user_id, peer_id)}),
    )
    if doc is None or not doc.get("name"):
        raise HTTPException(404, "user not found")
    return SidebarUserOut(**_public(doc, signer), conversation=_summary(summary, signer) if summary else None)


def _summary_of(
    summaries: dict[Any, dict[str, Any]], user_id: str, peer: str, signer: MediaSigner
) -> ConversationSummaryOut | None:
    summary = summaries.get(summary_id(user_id, peer))
    return _summary(summary, signer) if summary else None

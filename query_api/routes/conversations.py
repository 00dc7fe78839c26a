"""Conversation history, newest page first, with a cursor that stays right while messages arrive."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel

from query_api.deps import CurrentUserId, SignerDep, ViewsDep
from shared.conversations import conversation_id
from shared.schemas import MessageOut
from shared.views import CONVERSATIONS, MESSAGES, USERS, summary_id

router = APIRouter(prefix="/api/conversations", tags=["conversations"])


class HistoryPage(BaseModel):
    messages: list[MessageOut]
    # Pass as `before` to get the previous page; null when this page starts the conversation.
    next_before: int | None
    peer_read_seq: int


def message_out(doc: dict[str, Any]) -> dict[str, Any]:
    return {**doc, "id": doc["_id"]}


@router.get("/{peer_id}/messages", responses={404: {"description": "Unknown user"}})
async def history(
    peer_id: str,
    user_id: CurrentUserId,
    views: ViewsDep,
    signer: SignerDep,
    before: Annotated[int | None, Query(ge=1, le=2**53, description="Only messages with a seq below this")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> HistoryPage:
    """A page of the conversation with peer_id (oldest first within the page); only its two participants see it."""
    if peer_id == user_id or await views[USERS].find_one({"_id": peer_id}, projection={"_id": 1}) is None:
        raise HTTPException(404, "user not found")
    # The conversation id is derived from the caller: nobody can name someone else's conversation.
    query: dict[str, Any] = {"conversation_id": conversation_id(user_id, peer_id)}
    if before is not None:
        query["seq"] = {"$lt": before}
    docs = [doc async for doc in views[MESSAGES].find(query).sort("seq", -1).limit(limit)]
    docs.reverse()
    summary = await views[CONVERSATIONS].find_one({"_id": summary_id(user_id, peer_id)})
    return HistoryPage.model_validate(
        {
            "messages": [signer.message(message_out(d)) for d in docs],
            "next_before": docs[0]["seq"] if len(docs) == limit and docs[0]["seq"] > 1 else None,
            "peer_read_seq": summary["peer_read_seq"] if summary else 0,
        }
    )

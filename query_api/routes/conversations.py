"""Conversation history, newest page first, with a cursor that stays right while messages arrive."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel

from query_api.deps import CurrentUserId, SignerDep, ViewsDep
from shared.conversations import conversation_id
from shared.mongo import find_by_id
from shared.schemas import MessageOut
from shared.views import CONVERSATIONS, HISTORY_BUCKET, MESSAGES, USERS, history_bucket, history_bucket_id, summary_id

router = APIRouter(prefix="/api/conversations", tags=["conversations"])
# Above any seq a conversation can reach; larger cursors are refused (422) rather than overflow the database.
MAX_SEQ = 2**53


class HistoryPage(BaseModel):
    messages: list[MessageOut]
    # Pass as `before` to get the previous page; null when this page starts the conversation.
    next_before: int | None
    peer_read_seq: int


def message_out(doc: dict[str, Any]) -> dict[str, Any]:
    return {**doc, "id": doc["_id"]}


# A page reads at most this many buckets: enough for the largest page across bucket edges and a few holes (messages
# of a bucket not projected yet); past that the page is cut short and its cursor goes on from there.
_MAX_BUCKETS = 100 // HISTORY_BUCKET + 3


@router.get("/{peer_id}/messages", responses={404: {"description": "Unknown user"}})
async def history(
    peer_id: str,
    user_id: CurrentUserId,
    views: ViewsDep,
    signer: SignerDep,
    before: Annotated[int | None, Query(ge=1, le=MAX_SEQ, description="Only messages with a seq below this")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> HistoryPage:
    """A page of the conversation with peer_id (oldest first within the page); only its two participants see it."""
    # The conversation id is derived from the caller: nobody can name someone else's conversation.
    conversation = conversation_id(user_id, peer_id)
    peer, summary = await asyncio.gather(
        views[USERS].find_one({"_id": peer_id}, projection={"_id": 1}),
        views[CONVERSATIONS].find_one({"_id": summary_id(user_id, peer_id)}),
    )
    if peer_id == user_id or peer is None:
        raise HTTPException(404, "user not found")
    buckets = views[MESSAGES]

    def bucket_id(number: int) -> str:
        return history_bucket_id(conversation, number)

    if before is None:
        # The newest bucket the summary knows of, any after it that the messages view already has, and the one
        # before it (a page of 50 usually spans two): one round of reads by _id.
        top = history_bucket(summary["last_seq"]) if summary and summary.get("last_seq") else 0
        docs = await find_by_id(buckets, [bucket_id(n) for n in (top + 1, top, top - 1) if n >= 0])
        while bucket_id(top + 1) in docs:
            top += 1
            docs |= await find_by_id(buckets, [bucket_id(top + 1)])
        before = MAX_SEQ
    else:
        top = history_bucket(before - 1) if before > 1 else -1
        docs = await find_by_id(buckets, [bucket_id(n) for n in (top, top - 1) if n >= 0])
    page: list[dict[str, Any]] = []
    lowest = top
    for number in range(top, max(-1, top - _MAX_BUCKETS), -1):
        if bucket_id(number) not in docs and number < top - 1:
            docs |= await find_by_id(buckets, [bucket_id(number)])
        doc = docs.get(bucket_id(number))
        lowest = number
        if doc is not None:
            page = [m for m in doc["messages"] if m["seq"] < before] + page
        if len(page) >= limit:
            break
    page = page[-limit:]
    if len(page) == limit:
        next_before = page[0]["seq"] if page[0]["seq"] > 1 else None
    else:
        # Fewer than asked: the start of the conversation, or the bucket limit (go on below the buckets read).
        next_before = lowest * HISTORY_BUCKET + 1 if lowest > 0 else None
    return HistoryPage.model_validate(
        {
            "messages": [signer.message(message_out(d)) for d in page],
            "next_before": next_before,
            "peer_read_seq": summary["peer_read_seq"] if summary else 0,
        }
    )

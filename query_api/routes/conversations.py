"""Conversation history, newest page first, with a cursor that stays right while messages arrive."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel
from pymongo.asynchronous.collection import AsyncCollection

from query_api.deps import CurrentUserId, SignerDep, ViewsDep
from shared.conversations import conversation_id, unpacked
from shared.mongo import find_by_id
from shared.schemas import MessageOut
from shared.views import (
    CONVERSATIONS,
    MESSAGES,
    USERS,
    history_bucket,
    history_bucket_id,
    history_id,
    summary_id,
)

router = APIRouter(prefix="/api/conversations", tags=["conversations"])
# Above any seq a conversation can reach; larger cursors are refused (422) rather than overflow the database.
MAX_SEQ = 2**53


class HistoryPage(BaseModel):
    messages: list[MessageOut]
    # Pass as `before` to get the previous page; null when this page starts the conversation.
    next_before: int | None
    peer_read_seq: int


# Seqs looked at past the newest one the conversation's summary knows: the summary's projection gathers half a
# second of events per write, so the history may be a few messages ahead of it.
_AHEAD = 32


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
    if peer_id == user_id:
        raise HTTPException(404, "user not found")
    conversation = conversation_id(user_id, peer_id)
    messages = views[MESSAGES]

    async def read(seqs: range) -> dict[int, dict[str, Any]]:
        return await read_history(messages, conversation, seqs)

    summary_read = views[CONVERSATIONS].find_one({"_id": summary_id(user_id, peer_id)})
    if before is None:
        summary = await summary_read
    else:
        # An older page's seqs are known from the cursor: read them while the summary is read.
        top = before - 1
        start = max(1, before - limit)
        summary, by_seq = await asyncio.gather(summary_read, read(range(start, top + 1)))
    # A summary exists only once the two have exchanged a message, so the peer is real; without one, look.
    if summary is None and await views[USERS].find_one({"_id": peer_id}, projection={"_id": 1}) is None:
        raise HTTPException(404, "user not found")
    if before is None:
        # The page below the newest seq the summary knows and the seqs just past it, in one read; past that only
        # when every seq looked at was there.
        known = int(summary["last_seq"]) if summary and summary.get("last_seq") else 0
        low = max(1, known - limit + 1)
        by_seq = await read(range(low, known + _AHEAD + 1))
        edge = known + _AHEAD
        while edge in by_seq:
            by_seq |= await read(range(edge + 1, edge + _AHEAD + 1))
            edge += _AHEAD
        top = max([known, *by_seq])
        start = max(1, top - limit + 1)
        if start < low:
            by_seq |= await read(range(start, low))
    # A seq missing here is a message not projected yet: the page has a hole and its cursor still goes below it.
    page = [by_seq[seq] for seq in range(start, top + 1) if seq in by_seq]
    return HistoryPage.model_validate(
        {
            "messages": [signer.message(m) for m in page],
            "next_before": start if start > 1 else None,
            "peer_read_seq": summary["peer_read_seq"] if summary else 0,
        }
    )


async def read_history(
    messages: AsyncCollection[dict[str, Any]], conversation: str, seqs: range
) -> dict[int, dict[str, Any]]:
    """The messages of these seqs that are in the view, by seq (with the rest of the buckets holding them).

    One query asks for the buckets holding the seqs and for every seq's loose document: the projector inserts a
    bucket before it deletes its loose messages, so each message is found before, during and after its seal."""
    if not seqs:
        return {}
    buckets = range(history_bucket(seqs.start), history_bucket(seqs[-1]) + 1)
    found = await find_by_id(
        messages,
        [history_bucket_id(conversation, b) for b in buckets] + [history_id(conversation, seq) for seq in seqs],
    )
    by_seq: dict[int, dict[str, Any]] = {}
    for bucket in buckets:
        doc = found.pop(history_bucket_id(conversation, bucket), None)
        if doc is not None:
            by_seq.update((int(m["seq"]), m) for m in orjson.loads(doc["messages"]))
    by_seq.update((int(doc["seq"]), unpacked(doc["message"])) for doc in found.values())
    return by_seq

"""Conversation history, newest page first, with a cursor that stays right while messages arrive."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, HTTPException, Query
from pymongo.asynchronous.collection import AsyncCollection

from query_api.deps import CurrentUserId, ServedHeadsDep, SignerDep, ViewsDep
from shared.conversations import unpacked
from shared.mongo import find_by_id
from shared.schemas import MessageOut, Out
from shared.streams import conversation_id
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


class HistoryPage(Out):
    messages: list[MessageOut]
    # Pass as `before` to get the previous page; null when this page starts the conversation.
    next_before: int | None
    peer_read_seq: int


# Seqs looked at past the newest one known (the summary's, or the newest this process served): the summary's
# projection gathers half a second of events per write, so the history may be a few messages ahead of it.
_AHEAD = 16


@router.get("/{peer_id}/messages", responses={404: {"description": "Unknown user"}})
async def history(
    peer_id: str,
    user_id: CurrentUserId,
    views: ViewsDep,
    signer: SignerDep,
    served: ServedHeadsDep,
    before: Annotated[int | None, Query(ge=1, le=MAX_SEQ, description="Only messages with a seq below this")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> HistoryPage:
    """A page of the conversation with peer_id (oldest first within the page); only its two participants see it."""
    # The conversation id is derived from the caller: nobody can name someone else's conversation.
    if peer_id == user_id:
        raise HTTPException(404, "user not found")
    conversation = conversation_id(user_id, peer_id)
    messages = views[MESSAGES]

    async def read(seqs: range, *, loose_from: int | None = None) -> dict[int, dict[str, Any]]:
        return await read_history(messages, conversation, seqs, loose_from=loose_from)

    def around(anchor: int) -> range:
        # The page below the anchor and the seqs just past it, in one read.
        return range(max(1, anchor - limit + 1), anchor + _AHEAD + 1)

    summary_read = views[CONVERSATIONS].find_one({"_id": summary_id(user_id, peer_id)})
    guess = served.get(conversation) if before is None else None
    if before is not None:
        # An older page's seqs are known from the cursor: read them while the summary is read.
        top = before - 1
        start = max(1, before - limit)
        summary, by_seq = await asyncio.gather(summary_read, read(range(start, top + 1), loose_from=before))
    elif guess is not None:
        # A conversation this process served lately: read around its newest seq then while the summary is read.
        window = around(guess)
        summary, by_seq = await asyncio.gather(summary_read, read(window, loose_from=guess))
    else:
        summary = await summary_read
    # A summary exists only once the two have exchanged a message, so the peer is real; without one, look.
    if summary is None and await views[USERS].find_one({"_id": peer_id}, projection={"_id": 1}) is None:
        raise HTTPException(404, "user not found")
    if before is None:
        known = int(summary["last_seq"]) if summary and summary.get("last_seq") else 0
        # The guess stands when the view has it (or the summary is at least there) and the summary is not past
        # the window; otherwise (a view rebuilt behind it, many messages since) read around the summary's.
        if guess is None or known > window[-1] or (guess > known and guess not in by_seq):
            window = around(known)
            by_seq = await read(window, loose_from=known)
        # Past the window only when every seq looked at was there.
        edge = window[-1]
        while edge in by_seq:
            by_seq |= await read(range(edge + 1, edge + _AHEAD + 1))
            edge += _AHEAD
        # The window's anchor is at most top, so the page lies within what was read.
        top = max([known, *by_seq])
        start = max(1, top - limit + 1)
        served.remember(conversation, top)
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
    messages: AsyncCollection[dict[str, Any]], conversation: str, seqs: range, *, loose_from: int | None = None
) -> dict[int, dict[str, Any]]:
    """The messages of these seqs that are in the view, by seq (with the rest of the buckets holding them).

    One query asks for the buckets holding the seqs and for the loose document of every seq from ``loose_from`` (by
    default all of them): the projector inserts a bucket before it deletes its loose messages, so each message is
    found before, during and after its seal. A bucket wholly below ``loose_from`` is expected sealed (every message
    but the newest few is); when it is not, a second query asks for it and its loose messages again.

    FerretDB's cost follows the ids asked as well as the documents returned: a newest page asks for the loose ids of
    its last buckets only, an older page for none."""
    if not seqs:
        return {}
    loose_from = seqs.start if loose_from is None else max(loose_from, seqs.start)
    # Every seq of a bucket whose loose messages are asked at once: only buckets below it may have to be asked again.
    open_from = history_bucket(loose_from)
    buckets = range(history_bucket(seqs.start), history_bucket(seqs[-1]) + 1)
    asked = [seq for seq in seqs if history_bucket(seq) >= open_from]
    found = await find_by_id(
        messages, [history_bucket_id(conversation, b) for b in buckets] + [history_id(conversation, s) for s in asked]
    )
    unsealed = [b for b in buckets if b < open_from and history_bucket_id(conversation, b) not in found]
    if unsealed:
        again = [seq for seq in seqs if history_bucket(seq) in unsealed]
        found |= await find_by_id(
            messages,
            [history_bucket_id(conversation, b) for b in unsealed] + [history_id(conversation, s) for s in again],
        )
    by_seq: dict[int, dict[str, Any]] = {}
    for bucket in buckets:
        doc = found.pop(history_bucket_id(conversation, bucket), None)
        if doc is not None:
            by_seq.update((int(m["seq"]), m) for m in orjson.loads(doc["messages"]))
    by_seq.update((int(doc["seq"]), unpacked(doc["message"])) for doc in found.values())
    return by_seq

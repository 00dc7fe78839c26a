"""Catch-up after a reconnect: everything concerning me after a log position.

Read from the ``catchup`` view up to the position it has applied every event through, then from the log itself
past it (by ``_id``: positions are gapless, so the first one missing is the head). The log's tail matters because
the view may lag the bus: a message pushed just before a reconnect could be missing from both the live pushes and
the view. A request reads the windows it returns and the view's lag, never the whole log.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel
from pymongo.asynchronous.collection import AsyncCollection

from query_api.deps import CurrentUserId, EventStoreDep, SignerDep, ViewsDep
from shared.conversations import catchup_entry
from shared.event_store import EventStore
from shared.mongo import find_by_id
from shared.schemas import MessageOut, ReadOut
from shared.views import CATCHUP, CATCHUP_BUCKET, CATCHUP_THROUGH, catchup_bucket_id

router = APIRouter(prefix="/api", tags=["sync"])

# Above any position the log can reach; larger cursors are refused (422).
MAX_POSITION = 2**53
# Buckets read at once, and log positions past the view read by one request at most (the rest: `more`).
_BUCKETS_AT_ONCE = 4
_TAIL_MAX = 2048
_FIRST_PROBE, _PROBE = 4, 32


class SyncPage(BaseModel):
    messages: list[MessageOut]
    reads: list[ReadOut]
    # The position to pass as `after` next time.
    position: int
    more: bool


@router.get("/sync")
async def sync(
    user_id: CurrentUserId,
    views: ViewsDep,
    store: EventStoreDep,
    signer: SignerDep,
    after: Annotated[
        int, Query(ge=0, le=MAX_POSITION, description="The highest log position the client has applied")
    ] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
) -> SyncPage:
    """Messages and read receipts concerning me after `after`, in log order; call again while `more`."""
    catchup = views[CATCHUP]
    head, through_doc = await asyncio.gather(
        catchup.find_one({"_id": user_id}), catchup.find_one({"_id": CATCHUP_THROUGH})
    )
    through = int(through_doc["position"]) if through_doc else 0
    # Buckets are written before ~through, and read after it here: every entry up to `through` is in them.
    top = int(head["top"]) if head else 0
    entries = [e for e in await _entries_after(catchup, user_id, top, after, limit) if e["position"] <= through]
    if len(entries) > limit:
        return _page(entries[:limit], signer, position=entries[limit - 1]["position"], more=True)
    # Past what the view has applied: the log itself.
    tail, reached, more = await _log_tail(store, user_id, max(after, through))
    entries += tail
    if len(entries) > limit:
        return _page(entries[:limit], signer, position=entries[limit - 1]["position"], more=True)
    return _page(entries, signer, position=max(after, reached), more=more)


async def _entries_after(
    catchup: AsyncCollection[dict[str, Any]], user_id: str, top: int, after: int, limit: int
) -> list[dict[str, Any]]:
    """The user's entries after position ``after``, oldest first, at least ``limit + 1`` when there are that many.

    ``top`` is the newest bucket as the user's head names it; a newer one written since is found by looking one
    bucket further. The newest buckets are read back to the one holding ``after`` (a few at a time); when that is
    further back than a page, the bucket is found by bisection instead and the page read forward from it.
    """
    page_buckets = limit // CATCHUP_BUCKET + 2
    read: dict[int, dict[str, Any]] = {}

    async def fetch(numbers: list[int]) -> set[int]:
        """Read these buckets (those not read yet); returns the numbers that exist."""
        wanted = [n for n in numbers if n >= 0 and n not in read]
        found = await find_by_id(catchup, [catchup_bucket_id(user_id, n) for n in wanted])
        for n in wanted:
            read[n] = found.get(catchup_bucket_id(user_id, n)) or {"entries": []}
        return {n for n in wanted if catchup_bucket_id(user_id, n) in found}

    def starts_after(n: int) -> bool:
        entries = read[n]["entries"]
        return bool(entries) and entries[0]["position"] > after

    present = await fetch([top + 1, top, *range(top - 1, top - _BUCKETS_AT_ONCE + 1, -1)])
    while top + 1 in present:
        top += 1
        present = await fetch([top + 1])
    newest = read[top]["entries"]
    if not newest or newest[-1]["position"] <= after:
        return []  # nothing new (the usual case for a quick reconnect): one round of reads
    start = top
    while start >= 0 and top - start < page_buckets:
        await fetch(list(range(start, start - _BUCKETS_AT_ONCE, -1)))
        for n in range(start, max(-1, start - _BUCKETS_AT_ONCE), -1):
            if not starts_after(n):
                return _collect(read, n, top, after)
            start = n - 1
    if start < 0:
        return _collect(read, 0, top, after)
    # Far behind: the last bucket that starts at or before `after`, by bisection over [0, start].
    low, high = 0, start
    while low < high:
        middle = (low + high + 1) // 2
        await fetch([middle])
        if starts_after(middle):
            high = middle - 1
        else:
            low = middle
    await fetch(list(range(low, low + page_buckets)))
    return _collect(read, low, min(top, low + page_buckets - 1), after)


def _collect(read: dict[int, dict[str, Any]], first: int, last: int, after: int) -> list[dict[str, Any]]:
    return [e for n in range(first, last + 1) if n in read for e in read[n]["entries"] if e["position"] > after]


async def _log_tail(store: EventStore, user_id: str, after: int) -> tuple[list[dict[str, Any]], int, bool]:
    """Entries concerning the user in the log after ``after``, the last position read, and whether more remain."""
    entries: list[dict[str, Any]] = []
    reached = after
    probe = _FIRST_PROBE  # the view is usually a few events behind the head, or none
    while reached - after < _TAIL_MAX:
        ahead = range(reached + 1, reached + 1 + probe)
        probe = _PROBE
        events = {e.position: e for e in await store.at_positions(ahead)}
        for position in ahead:
            event = events.get(position)
            if event is None:
                return entries, reached, False
            reached = position
            concerned = catchup_entry(event)
            if concerned is not None and user_id in concerned[0]:
                entries.append(concerned[1])
    return entries, reached, True


def _page(entries: list[dict[str, Any]], signer: Any, *, position: int, more: bool) -> SyncPage:
    return SyncPage.model_validate(
        {
            "messages": [signer.message(e["message"]) for e in entries if "message" in e],
            "reads": [e["read"] for e in entries if "read" in e],
            "position": position,
            "more": more,
        }
    )

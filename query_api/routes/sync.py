"""Catch-up after a reconnect: everything concerning me after a log position.

Read from the ``catchup`` view up to the position it has applied every event through, then from the log itself
past it (by ``_id``: positions are gapless, so the first one missing is the head). The log's tail matters because
the view may lag the bus: a message pushed just before a reconnect could be missing from both the live pushes and
the view. A request reads the windows it returns and the view's lag, never the whole log.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query
from pymongo.asynchronous.collection import AsyncCollection

from query_api.deps import CurrentUserId, EventReaderDep, SignerDep, ViewsDep
from shared.conversations import catchup_entry, unpacked
from shared.event_reader import EventReader
from shared.mongo import find_by_id
from shared.schemas import MessageOut, Out, ReadOut
from shared.views import CATCHUP, CATCHUP_BUCKET, CATCHUP_THROUGH, catchup_bucket_id, catchup_entry_id

router = APIRouter(prefix="/api", tags=["sync"])

# Above any position the log can reach; larger cursors are refused (422).
MAX_POSITION = 2**53
# Log positions past the view read by one request at most (the rest: `more`).
_TAIL_MAX = 2048
_FIRST_PROBE, _PROBE = 4, 32


class SyncPage(Out):
    messages: list[MessageOut]
    reads: list[ReadOut]
    # The position to pass as `after` next time.
    position: int
    more: bool


@router.get("/sync")
async def sync(
    user_id: CurrentUserId,
    views: ViewsDep,
    store: EventReaderDep,
    signer: SignerDep,
    after: Annotated[
        int, Query(ge=0, le=MAX_POSITION, description="The highest log position the client has applied")
    ] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
) -> SyncPage:
    """Messages and read receipts concerning me after `after`, in log order; call again while `more`."""
    catchup = views[CATCHUP]
    found = await find_by_id(catchup, [user_id, CATCHUP_THROUGH])  # one read for both
    head, through_doc = found.get(user_id), found.get(CATCHUP_THROUGH)
    through = int(through_doc["position"]) if through_doc else 0
    # Entries are written before ~through, and read after it here: every entry up to `through` is among them.
    counted = int(head["count"]) if head else 0
    # The view up to `through` and, at the same time, the log itself past it.
    viewed, (tail, reached, more) = await asyncio.gather(
        _entries_after(catchup, user_id, counted, after, limit, behind=through - after),
        _log_tail(store, user_id, max(after, through)),
    )
    entries = [e for e in viewed if e["position"] <= through]
    if len(entries) > limit:
        return _page(entries[:limit], signer, position=entries[limit - 1]["position"], more=True)
    entries += tail
    if len(entries) > limit:
        return _page(entries[:limit], signer, position=entries[limit - 1]["position"], more=True)
    return _page(entries, signer, position=max(after, reached), more=more)


async def _entries_after(
    catchup: AsyncCollection[dict[str, Any]],
    user_id: str,
    counted: int,
    after: int,
    limit: int,
    *,
    behind: int = 0,
) -> list[dict[str, Any]]:
    """The user's entries after position ``after``, oldest first, at most ``limit + 1`` (one more tells there are
    more).

    ``counted`` is the head's count, at most a bucket behind: the entries from just below it to a bucket past it
    are read at once (further while the stretch is full), which finds the newest. Entries below the count are read
    as their buckets, sixteen to a document. ``behind`` is how many log positions the view holds past ``after``: at
    most that many of the user's entries are newer than the cursor, so as many (up to a page) below the count are
    read in the same first read, and a typical catch-up is one read. If that was not enough, the rest is read back
    from the newest by an estimate; when the first entry after ``after`` is further back than a page, it is found
    by bisection and the page read forward from it.
    """
    read: dict[int, dict[str, Any]] = {}
    sealed = counted - counted % CATCHUP_BUCKET

    async def fetch(numbers: Iterable[int]) -> None:
        wanted = [n for n in numbers if n >= 0 and n not in read]
        # Buckets past the head too: it may have been sealed (and its loose entries deleted) since the head was read;
        # a bucket is inserted before its loose entries are deleted, and both are asked for in one query.
        buckets = sorted({n // CATCHUP_BUCKET for n in wanted})
        loose = [n for n in wanted if n >= sealed]
        found = await find_by_id(
            catchup,
            [catchup_bucket_id(user_id, b) for b in buckets] + [catchup_entry_id(user_id, n) for n in loose],
        )
        unsealed: list[int] = []
        for bucket in buckets:
            doc = found.get(catchup_bucket_id(user_id, bucket))
            if doc is not None:
                first = bucket * CATCHUP_BUCKET
                read.update((first + i, entry) for i, entry in enumerate(orjson.loads(doc["entries"])))
            elif bucket * CATCHUP_BUCKET < sealed:
                # Below the head yet not sealed (a view built before buckets): its entries one by one.
                unsealed += [n for n in wanted if n // CATCHUP_BUCKET == bucket]
        if unsealed:
            found |= await find_by_id(catchup, [catchup_entry_id(user_id, n) for n in unsealed])
        for n in [*loose, *unsealed]:
            entry = found.get(catchup_entry_id(user_id, n))
            if entry is not None and n not in read:
                read[n] = entry

    def is_after(number: int) -> bool:
        entry = read.get(number)
        return entry is not None and int(entry["position"]) > after

    edge = counted + CATCHUP_BUCKET
    await fetch(range(counted - 1 - min(limit, max(0, behind)), edge))
    while edge - 1 in read:
        await fetch(range(edge, edge + CATCHUP_BUCKET))
        edge += CATCHUP_BUCKET
    newest = max(read, default=-1)
    if not is_after(newest):
        return []  # nothing new (the usual case for a quick reconnect): one read
    # Back from the lowest entry read so far to the last one at or before `after`, at most a page below the newest:
    # each read is sized from how densely the entries read so far fall among log positions (an estimate only: the
    # loop reads on until it gets there).
    floor = max(0, newest - limit - 1)
    low = newest
    while low - 1 in read:
        low -= 1
    while low > floor and is_after(low):
        span = int(read[newest]["position"]) - int(read[low]["position"])
        density = (newest - low) / span if span > 0 else 1.0
        back = max(8, int((int(read[low]["position"]) - after) * density * 1.25) + 1)
        low = max(floor, low - back)
        await fetch(range(low, newest))
    if is_after(low) and low > 0:
        # Far behind: the first entry after `after`, by bisection over [0, low] (entries are in position order).
        lo, hi = 0, low
        while lo < hi:
            middle = (lo + hi) // 2
            await fetch([middle])
            if is_after(middle):
                hi = middle
            else:
                lo = middle + 1
        first = lo
        await fetch(range(first, first + limit + 1))
    else:
        first = next(n for n in range(low, newest + 1) if is_after(n))
    return [read[n] for n in range(first, min(newest, first + limit) + 1) if n in read]


async def _log_tail(store: EventReader, user_id: str, after: int) -> tuple[list[dict[str, Any]], int, bool]:
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
            "messages": [signer.message(unpacked(e["message"])) for e in entries if "message" in e],
            "reads": [unpacked(e["read"]) for e in entries if "read" in e],
            "position": position,
            "more": more,
        }
    )

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

from query_api.deps import CurrentUserId, EventStoreDep, SignerDep, ViewsDep
from shared.conversations import catchup_entry
from shared.event_store import EventStore
from shared.mongo import find_by_id
from shared.schemas import MessageOut, ReadOut
from shared.views import CATCHUP, CATCHUP_THROUGH, catchup_window, catchup_window_id

router = APIRouter(prefix="/api", tags=["sync"])

# Above any position the log can reach; larger cursors are refused (422).
MAX_POSITION = 2**53
# Windows read at once, and log positions past the view read by one request at most (the rest: `more`).
_WINDOWS_AT_ONCE = 2
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
    listing, through_doc = await asyncio.gather(
        catchup.find_one({"_id": user_id}), catchup.find_one({"_id": CATCHUP_THROUGH})
    )
    through = int(through_doc["position"]) if through_doc else 0
    windows = [w for w in (listing["windows"] if listing else []) if w >= catchup_window(after + 1)]
    entries: list[dict[str, Any]] = []
    while windows and len(entries) <= limit:
        ids = [catchup_window_id(user_id, w) for w in windows[:_WINDOWS_AT_ONCE]]
        windows = windows[_WINDOWS_AT_ONCE:]
        found = await find_by_id(catchup, ids)
        for window_id in ids:
            doc = found.get(window_id)
            entries += [e for e in (doc["entries"] if doc else []) if e["position"] > after]
    if len(entries) > limit:
        return _page(entries[:limit], signer, position=entries[limit - 1]["position"], more=True)
    # Past what the view has applied: the log itself.
    tail, reached, more = await _log_tail(store, user_id, max(after, through))
    entries = [e for e in entries if e["position"] <= through] + tail
    if len(entries) > limit:
        return _page(entries[:limit], signer, position=entries[limit - 1]["position"], more=True)
    return _page(entries, signer, position=max(after, reached), more=more)


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

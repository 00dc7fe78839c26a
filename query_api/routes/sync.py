"""Catch-up after a reconnect: everything concerning me after a log position, read from the log itself.

The log, not a read model, because a read model may lag the bus: a message pushed just before a reconnect could be
missing from both the live pushes and a projection. Positions increase in commit order, so nothing is skipped.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from query_api.deps import CurrentUserId, EventStoreDep, SignerDep
from shared.conversations import message_payload, read_payload
from shared.events import MessageSent, MessagesRead
from shared.schemas import MessageOut, ReadOut

router = APIRouter(prefix="/api", tags=["sync"])


class SyncPage(BaseModel):
    messages: list[MessageOut]
    reads: list[ReadOut]
    # The position to pass as `after` next time.
    position: int
    more: bool


@router.get("/sync")
async def sync(
    user_id: CurrentUserId,
    store: EventStoreDep,
    signer: SignerDep,
    after: Annotated[int, Query(ge=0, le=2**53, description="The highest log position the client has applied")] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
) -> SyncPage:
    """Messages and read receipts concerning me after `after`, in log order; call again while `more`."""
    events = await store.concerning(
        user_id, after_position=after, types=(MessageSent.event_type, MessagesRead.event_type), limit=limit
    )
    return SyncPage.model_validate(
        {
            "messages": [signer.message(message_payload(e)) for e in events if e.type == MessageSent.event_type],
            "reads": [read_payload(e) for e in events if e.type == MessagesRead.event_type],
            "position": events[-1].position if events else after,
            "more": len(events) == limit,
        }
    )

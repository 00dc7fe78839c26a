"""The audit trail for admins: events from the log itself, in position order, without secrets."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from pydantic import AwareDatetime, ConfigDict, Field

from query_api.deps import CurrentUserId, EventReaderDep, ViewsDep
from shared.audit import AuditFilter, audit_record, find_user_id, page
from shared.events import EVENT_TYPES
from shared.schemas import Out
from shared.views import USERS

router = APIRouter(prefix="/api/audit", tags=["audit"])


class AuditEvent(Out):
    id: str
    type: str
    # The event data's schema version ("schema" in JSON).
    data_schema: int = Field(alias="schema")
    position: int
    stream: str
    stream_version: int
    occurred_at: datetime
    actor_id: str | None
    correlation_id: str | None
    causation_id: str | None
    # The event's data as stored (upcast to the current schema); password hashes are never included.
    data: dict[str, Any]

    model_config = ConfigDict(serialize_by_alias=True)


class AuditPage(Out):
    events: list[AuditEvent]
    # Pass as `after` for the next page; null when this page is the last.
    next_after: int | None


@router.get(
    "/events",
    responses={403: {"description": "Not an admin"}, 422: {"description": "Unknown type or bad filter"}},
)
async def audit_events(
    user_id: CurrentUserId,
    views: ViewsDep,
    store: EventReaderDep,
    user: Annotated[str | None, Query(max_length=254, description="A user id, or an account's email")] = None,
    type: Annotated[list[str] | None, Query(description="Event type(s), e.g. MessageSent")] = None,
    since: Annotated[AwareDatetime | None, Query(description="Events at or after (ISO 8601 with zone)")] = None,
    until: Annotated[AwareDatetime | None, Query(description="Events before (ISO 8601 with zone)")] = None,
    after: Annotated[int, Query(ge=0, le=2**53, description="Only events after this log position (page cursor)")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> AuditPage:
    """Events of the log, oldest first, for admins (`parley admin grant EMAIL`); 403 for everyone else."""
    me = await views[USERS].find_one({"_id": user_id}, projection={"admin": 1})
    if me is None or me.get("admin") is not True:
        raise HTTPException(403, "audit is for admins only")
    unknown = sorted(set(type or ()) - set(EVENT_TYPES))
    if unknown:
        raise HTTPException(422, f"unknown event type: {', '.join(unknown)}")
    subject = user
    if user is not None and "@" in user:
        subject = await find_user_id(store, user) or "-"  # an email nobody registered matches nothing
    selection = AuditFilter(user_id=subject, types=tuple(type or ()), since=since, until=until, after=after)
    events = await page(store, selection, limit + 1)
    more = len(events) > limit
    events = events[:limit]
    return AuditPage(
        events=[AuditEvent.model_validate(audit_record(e)) for e in events],
        next_after=events[-1].position if more else None,
    )

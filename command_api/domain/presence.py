"""Presence: online while at least one socket is connected somewhere; events only on transitions."""

from __future__ import annotations

from datetime import datetime

from shared.events import NewEvent, PresenceChanged, PresenceReason
from shared.streams import presence_stream


def decide_presence(
    user_id: str, *, currently_online: bool, has_sessions: bool, at: datetime, expired: bool = False
) -> NewEvent | None:
    """A ``PresenceChanged`` when the user's state flips, otherwise nothing. ``expired``: the user's sessions
    were dropped because their realtime node stopped reporting, not because the sockets closed."""
    if has_sessions == currently_online:
        return None
    reason: PresenceReason = "connected" if has_sessions else ("node_expired" if expired else "disconnected")
    return NewEvent(
        stream=presence_stream(user_id),
        data=PresenceChanged(user_id=user_id, online=has_sessions, last_seen=at, reason=reason),
        actor_id=user_id,
        # What follows a transition is its push to the people who see the user, which reads no index: answered once
        # it is in the log, a connect storm's transitions are published while their heads are indexed (seconds).
        indexed_before_answer=False,
    )

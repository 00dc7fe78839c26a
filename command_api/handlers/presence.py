"""Presence: record a user's transition online or offline, when whether they have sockets differs from their
stream's state."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Literal

from command_api.domain.presence import decide_presence
from command_api.recorder import Decision, Recorder
from shared.event_log import EventLog
from shared.events import Envelope
from shared.streams import presence_stream


class _Unread(enum.Enum):
    UNREAD = enum.auto()


# The head of the stream is not known yet: read it.
UNREAD = _Unread.UNREAD


async def settle_presence(
    user_id: str,
    *,
    has_sessions: bool,
    at: datetime,
    expired: bool,
    log: EventLog,
    recorder: Recorder,
    head: Envelope | Literal[_Unread.UNREAD] | None = UNREAD,
) -> Envelope | None:
    """The ``PresenceChanged`` appended, or None when the state already matched. ``head``: the newest event of the
    user's presence stream when the caller read it already (many users' heads are read together in a storm);
    after a lost race it is read again."""
    stream = presence_stream(user_id)

    async def decide() -> Decision:
        nonlocal head
        current = await log.last_event(stream) if head is UNREAD else head
        head = UNREAD
        online = bool(current and current.data.get("online"))
        new = decide_presence(user_id, currently_online=online, has_sessions=has_sessions, at=at, expired=expired)
        return Decision(new, expected_version=current.stream_version if current else 0)

    result = await recorder.decide(decide, attempts=3)
    return result.event if result is not None else None

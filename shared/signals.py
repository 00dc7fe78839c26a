"""Signals between services over plain NATS (at most once, never stored): each one's name and payload, in one place.

The log carries what happened; these carry what a process needs to know now and can lose (the next heartbeat, the
next keystroke, or a retry repairs it). Subjects are ``<live prefix>.<name>`` (shared/bus.py). A payload that does
not parse is dropped by its receiver: a signal is never trusted more than its sender.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

# A realtime node's report of the users it holds sockets for (realtime/presence.py -> command_api/presence.py).
PRESENCE = "presence"
# Someone is typing to someone: every node tells the peer's sockets it holds (realtime/typing_relay.py).
TYPING = "typing"
# "Does this user exist?", asked by a realtime node, answered b"1" or b"0" by a command API (the payload is the id).
USER_EXISTS = "user-exists"
# A replay asks the projector to pause, then to resume, the consumers of the models it rebuilds (projector/control.py).
PROJECTOR_PAUSE = "projector.pause"
PROJECTOR_RESUME = "projector.resume"

MAX_USER_ID = 64
UserId = Annotated[str, StringConstraints(min_length=1, max_length=MAX_USER_ID)]


def _user_ids(values: Any) -> Any:
    # A malformed entry is left out rather than failing the report: a heartbeat refused whole would leave every
    # user of its node to expire.
    if not isinstance(values, list):
        return values
    return [v for v in values if isinstance(v, str) and 0 < len(v) <= MAX_USER_ID]


UserIds = Annotated[list[UserId], BeforeValidator(_user_ids)]


class Signal(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class PresenceReport(Signal):
    """Either a heartbeat (``users``: every user the node holds now, which replaces what it held) or a change (users
    who came ``up`` on the node or went ``down`` since its last report)."""

    node: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    users: UserIds | None = None
    up: UserIds = Field(default_factory=list)
    down: UserIds = Field(default_factory=list)

    @property
    def is_heartbeat(self) -> bool:
        return self.users is not None


class TypingSignal(Signal):
    sender: UserId = Field(alias="from")
    to: UserId

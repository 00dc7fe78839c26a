"""Settings of a realtime node."""

from __future__ import annotations

import uuid
from typing import ClassVar

from pydantic import Field

from shared.settings import Settings


class RealtimeSettings(Settings):
    service_name: str = "realtime"
    port: int = 8003
    signs: ClassVar[bool] = True
    # Identifies this node to the command side's session registry; unique per process unless set.
    node_id: str = Field(default_factory=lambda: uuid.uuid4().hex[:12])
    # How often this node tells the command side which users it holds (the command side expires a silent node).
    heartbeat_seconds: float = 10.0
    # Presence changes arriving within this many seconds are pushed together (see realtime/presence_push.py).
    presence_push_window: float = 0.1
    # People one socket may watch the presence of (``watch_presence``); a socket naming more hears about everyone.
    max_watched_presence: int = 2000
    # A sign-up's presence goes to every socket this long after it (clients cannot name them before they hear of
    # them: the `user` push is gathered for user_push_window, then the client names its people again).
    presence_newcomer_seconds: float = 10.0
    ping_interval: float = 20.0
    ping_timeout: float = 20.0
    # Sockets one user may hold on one node (tabs and devices); more are refused with "too many connections".
    max_sockets_per_user: int = 20
    # Typing signals a sender may have relayed per second (to all peers together), and the burst above it.
    typing_rate: float = 2.0
    typing_burst: float = 5.0
    # A profile change or a registration is pushed to every socket: those arriving within this window are
    # pushed together, only the latest per user (see realtime/user_push.py).
    user_push_window: float = 0.5

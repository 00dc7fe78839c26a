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
    ping_interval: float = 20.0
    ping_timeout: float = 20.0

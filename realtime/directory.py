"""Whether a user exists, as far as a realtime node needs to know (typing goes only to real people).

Learnt from the bus (registrations, presence) and, for an id not seen yet, asked of the command side once
(``user-exists``); answers are remembered: a yes for ever (accounts are never deleted), a no for a minute.
"""

from __future__ import annotations

import time

from shared.bus import Bus, BusUnavailable
from shared.signals import USER_EXISTS

_NEGATIVE_SECONDS = 60.0
_MAX_REMEMBERED = 200_000


class KnownUsers:
    def __init__(self, bus: Bus, *, timeout: float = 1.0) -> None:
        self.bus = bus
        self.timeout = timeout
        self._known: set[str] = set()
        self._unknown: dict[str, float] = {}  # user id -> monotonic time the "no" expires

    def learn(self, user_id: str) -> None:
        if len(self._known) < _MAX_REMEMBERED:
            self._known.add(user_id)
        self._unknown.pop(user_id, None)

    async def exists(self, user_id: str) -> bool:
        if user_id in self._known:
            return True
        if self._unknown.get(user_id, 0.0) > time.monotonic():
            return False
        try:
            found = await self.bus.ask(USER_EXISTS, user_id.encode(), wait_seconds=self.timeout) == b"1"
        except BusUnavailable:
            return False  # not known to exist: nothing is relayed
        if found:
            self.learn(user_id)
        else:
            if len(self._unknown) >= _MAX_REMEMBERED:
                self._unknown.clear()
            self._unknown[user_id] = time.monotonic() + _NEGATIVE_SECONDS
        return found

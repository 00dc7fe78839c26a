"""Which users exist, from the log (the stream index answers by `_id` for any user).

Accounts are never deleted, so a known id stays known.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from nats.aio.msg import Msg

from shared.bus import Bus
from shared.event_log import EventLog
from shared.signals import USER_EXISTS
from shared.streams import user_stream

log = logging.getLogger(__name__)

# Realtime nodes ask here whether a user exists (shared.signals.USER_EXISTS: typing goes only to real people).
QUEUE_GROUP = "directory"


class UserDirectory:
    def __init__(self, store: EventLog) -> None:
        self.store = store
        self._known: set[str] = set()

    def add(self, user_id: str) -> None:
        self._known.add(user_id)

    async def exists(self, user_id: str, *, read_ahead: Sequence[str] = ()) -> bool:
        """Whether the user exists. When that takes a read, the heads of ``read_ahead`` come with it (a send's
        conversation: its version is asked next)."""
        if user_id in self._known:
            return True
        await self.store.prefetch_versions([user_stream(user_id), *read_ahead])
        # The stream's version from the index's head alone (one read by _id): the event itself is not needed.
        if await self.store.stream_version(user_stream(user_id)) > 0:
            self._known.add(user_id)
            return True
        return False

    def answer_on(self, bus: Bus) -> None:
        """Answer realtime nodes' "does this user exist?" over the bus (one instance of the group answers)."""
        subscribed = False

        async def subscribe() -> None:
            nonlocal subscribed
            if not subscribed:
                subscribed = True
                await bus.subscribe_signals(USER_EXISTS, self._answer, queue=QUEUE_GROUP)

        bus.on_ready.append(subscribe)

    async def _answer(self, msg: Msg) -> None:
        user_id = msg.data.decode("utf-8", "replace")
        try:
            found = 0 < len(user_id) <= 64 and await self.exists(user_id)
        except Exception:
            log.exception("user lookup failed")
            return  # no answer: the asker treats it as unknown for now
        await msg.respond(b"1" if found else b"0")

"""Which users exist, from the log (the stream index answers by `_id` for any user).

Accounts are never deleted, so a known id stays known.
"""

from __future__ import annotations

from command_api.domain.accounts import user_stream
from shared.event_store import EventStore


class UserDirectory:
    def __init__(self, store: EventStore) -> None:
        self.store = store
        self._known: set[str] = set()

    def add(self, user_id: str) -> None:
        self._known.add(user_id)

    async def exists(self, user_id: str) -> bool:
        if user_id in self._known:
            return True
        if await self.store.last_event(user_stream(user_id)) is not None:
            self._known.add(user_id)
            return True
        return False

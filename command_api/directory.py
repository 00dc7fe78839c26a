"""Which users exist, from the log, remembered once seen (accounts are never deleted)."""

from __future__ import annotations

from command_api.domain.accounts import user_stream
from shared.event_store import EventStore


class UserDirectory:
    def __init__(self, store: EventStore) -> None:
        self.store = store
        self._known: set[str] = set()

    async def exists(self, user_id: str) -> bool:
        if user_id in self._known:
            return True
        if await self.store.stream_version(user_stream(user_id)) > 0:
            self._known.add(user_id)
            return True
        return False

"""Which users exist, from the log: every account id once at start, then what this process registers or meets.

Accounts are never deleted, so a known id stays known. An unknown id costs one look at the log.
"""

from __future__ import annotations

from command_api.domain.accounts import user_stream
from shared.event_store import EventStore
from shared.events import UserRegistered


class UserDirectory:
    def __init__(self, store: EventStore) -> None:
        self.store = store
        self._known: set[str] = set()

    async def load(self) -> None:
        async for event in self.store.read_all(types=[UserRegistered.event_type]):
            self._known.add(event.data["user_id"])

    def add(self, user_id: str) -> None:
        self._known.add(user_id)

    async def exists(self, user_id: str) -> bool:
        if user_id in self._known:
            return True
        if await self.store.stream_version(user_stream(user_id)) > 0:
            self._known.add(user_id)
            return True
        return False

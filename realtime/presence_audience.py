"""Who hears whose presence changes.

Everyone seeing everyone's dot made a connect storm N² pushes: 5,000 people coming online was 25 million
changes written to sockets, about a gigabyte of frames from one node. A client shows only some people (a page of
the sidebar, search results, the open conversation), so it names them (``watch_presence {user_ids}``) and then
hears only about them. A socket that never named anyone (a client from before this) hears about everyone, as
before; so does one that names more than ``max_watched``.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

# Sockets that hear about everyone join this Socket.IO room (no user id starts with "~").
EVERYONE_ROOM = "~presence:everyone"


@dataclass(frozen=True, slots=True)
class Delivery:
    """Presence changes (indexes into the window's list, in order) for a group of sockets that watch the same."""

    changes: tuple[int, ...]
    sids: tuple[str, ...]


class PresenceAudience:
    def __init__(self, *, max_watched: int) -> None:
        self.max_watched = max_watched
        # sid -> the users it shows: a tuple of interned ids, since thousands of sockets name the same people (a
        # sidebar's first page), and a socket's share of memory is what a node's size is planned by.
        self._watching: dict[str, tuple[str, ...]] = {}
        self._watchers: dict[str, set[str]] = {}  # user -> the sids that show them

    def watch(self, sid: str, user_ids: Iterable[str]) -> bool:
        """The socket now shows these people (replacing what it named before). False when it named too many: it
        then hears about everyone."""
        self.forget(sid)
        wanted = tuple(sys.intern(user) for user in dict.fromkeys(user_ids))
        if len(wanted) > self.max_watched:
            return False
        self._watching[sid] = wanted
        for user in wanted:
            self._watchers.setdefault(user, set()).add(sid)
        return True

    def forget(self, sid: str) -> None:
        """The socket left, or names its people afresh."""
        for user in self._watching.pop(sid, ()):
            sids = self._watchers.get(user)
            if sids is not None:
                sids.discard(sid)
                if not sids:
                    del self._watchers[user]

    def watching(self, sid: str) -> frozenset[str] | None:
        """The people a socket named; None for one that hears about everyone."""
        named = self._watching.get(sid)
        return frozenset(named) if named is not None else None

    def deliveries(self, user_ids: list[str]) -> list[Delivery]:
        """For a window's changes (their users, in order): which changes go to which watching sockets, grouped so
        that sockets watching the same of them get one packet encoded once."""
        per_sid: dict[str, list[int]] = defaultdict(list)
        for index, user in enumerate(user_ids):
            for sid in self._watchers.get(user, ()):
                per_sid[sid].append(index)
        groups: dict[tuple[int, ...], list[str]] = defaultdict(list)
        for sid, indexes in per_sid.items():
            groups[tuple(indexes)].append(sid)
        return [Delivery(changes, tuple(sids)) for changes, sids in groups.items()]

"""Everyone's name, in memory, for the sidebar: pages by name and search by the start of any word of a name.

Loaded from the ``directory`` view's chunks (a fixed number of documents read by ``_id``, whatever the number of
people) and kept fresh by polling one small document of content hashes: a chunk is read again only when its
hash changed (a sign-up, a rename, a replay's switch). Sorted in memory, a page is a bisection and a slice.
"""

from __future__ import annotations

import asyncio
import bisect
import logging
import re
import unicodedata
from dataclasses import dataclass, field

from shared.mongo import find_by_id
from shared.views import DIRECTORY, DIRECTORY_CHUNKS, DIRECTORY_VERSIONS, ViewCatalog, directory_chunk_id
from shared.waiting import woken

log = logging.getLogger(__name__)

REFRESH_SECONDS = 1.0
_WORD = re.compile(r"\w+", re.UNICODE)


def name_key(name: str) -> str:
    """How names are ordered and searched: case and accents aside ("Émile" sorts with "Emile" and is found by "emi")."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def words(name: str) -> list[str]:
    """The search keys of a name: each word of it (casefolded), and the whole name."""
    key = name_key(name)
    return list(dict.fromkeys([*_WORD.findall(key), key]))


@dataclass
class _Chunk:
    version: int = -1
    names: dict[str, str] = field(default_factory=dict)


class Directory:
    def __init__(self, views: ViewCatalog) -> None:
        self.views = views
        self._chunks = [_Chunk() for _ in range(DIRECTORY_CHUNKS)]
        self.names: dict[str, str] = {}
        # (casefolded name, id), sorted: the order of the sidebar's second part.
        self._by_name: list[tuple[str, str]] = []
        # (word, id), sorted: a search is the range of words starting with the query.
        self._by_word: list[tuple[str, str]] = []
        self._refreshing: asyncio.Task[None] | None = None

    async def fresh(self) -> None:
        """Catch up with the view now (a sidebar's first page must show whoever was projected before it was asked
        for, not a second later). Callers arriving while a refresh runs share it: one read of the hashes for all."""
        if self._refreshing is None or self._refreshing.done():
            self._refreshing = asyncio.create_task(self.refresh())
        await asyncio.shield(self._refreshing)

    async def refresh(self) -> None:
        """Read the chunks whose content changed since the last refresh, and re-sort if any did."""
        collection = self.views[DIRECTORY]
        versions = await collection.find_one({"_id": DIRECTORY_VERSIONS})
        wanted = list(versions["chunks"]) if versions else [0] * DIRECTORY_CHUNKS
        stale = [i for i, v in enumerate(wanted) if v != self._chunks[i].version]
        if not stale:
            return
        found = await find_by_id(collection, [directory_chunk_id(i) for i in stale])
        for i in stale:
            doc = found.get(directory_chunk_id(i))
            self._chunks[i] = _Chunk(wanted[i], {p["id"]: p["name"] for p in doc["people"]} if doc else {})
        self.names = {user_id: name for chunk in self._chunks for user_id, name in chunk.names.items()}
        self._by_name = sorted((name_key(name), user_id) for user_id, name in self.names.items())
        self._by_word = sorted((word, user_id) for user_id, name in self.names.items() for word in words(name))

    async def keep_fresh(self, stop: asyncio.Event, interval: float = REFRESH_SECONDS) -> None:
        while not stop.is_set():
            try:
                await self.fresh()
            except Exception as exc:  # the database is away: keep what we have
                log.warning("could not refresh the directory", extra={"error": repr(exc)})
            await woken(stop, interval)

    def matches(self, user_id: str, query: str) -> bool:
        """Whether a word of the person's name (or the name) starts with ``query`` (casefolded)."""
        name = self.names.get(user_id)
        return name is not None and any(w.startswith(query) for w in words(name))

    def by_name(self, after: tuple[str, str] | None, skip: set[str], limit: int) -> list[tuple[str, str]]:
        """Up to ``limit`` (name key, id) after ``after`` in name order, leaving out ``skip``."""
        start = bisect.bisect_right(self._by_name, after) if after else 0
        page: list[tuple[str, str]] = []
        for entry in self._by_name[start:]:
            if entry[1] not in skip:
                page.append(entry)
                if len(page) >= limit:
                    break
        return page

    def search(self, query: str, after: tuple[str, str] | None, skip: set[str], limit: int) -> list[tuple[str, str]]:
        """Up to ``limit`` matching people in name order after ``after`` (a word range, then sorted by name)."""
        start = bisect.bisect_left(self._by_word, (query, ""))
        ids: set[str] = set()
        for word, user_id in self._by_word[start:]:
            if not word.startswith(query):
                break
            ids.add(user_id)
        found = sorted((name_key(self.names[i]), i) for i in ids - skip)
        begin = bisect.bisect_right(found, after) if after else 0
        return found[begin : begin + limit]

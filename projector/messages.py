"""The ``messages`` read model: each conversation's history, by seq, in buckets once complete.

A message's ``_id`` is computed from its conversation and ``seq`` (``shared.views.history_id``), so a history page
is one read of the ids of its seqs, whatever the size of the instance. The message itself is stored as served, one
JSON string (``shared.conversations.packed``), inserted once. When the ``HISTORY_BUCKET`` messages of a bucket are
all there, they are inserted again as one bucket document (``history_bucket_id``), then their loose documents are
deleted: FerretDB's cost follows the documents a read returns, and a page of 50 is then about four buckets and the
few newest messages, not 50 documents. A reader asks for the buckets and the loose ids together, in one query, so
it finds every message before, during and after a seal.

Messages may come out of order, twice, or after a crash part-way through a seal; the view ends the same: loose
messages for the buckets not complete yet, one bucket for each complete one, as a replay writes it. The first time
this process touches a bucket it reads back what the view holds of it (its seal, or its loose messages): a bucket
is sealed from what is known, never from a guess. A rebuild holds the messages of open buckets in memory instead
of inserting and then deleting them, and writes loose only what is still open at its end.
"""

from __future__ import annotations

from typing import Any

import orjson

from shared.conversations import message_payload, packed, unpacked
from shared.events import Envelope, MessageSent
from shared.mongo import delete_by_id, find_by_id, insert_new
from shared.views import HISTORY_BUCKET, MESSAGES, ViewCatalog, history_bucket, history_bucket_id, history_id

# Documents inserted by one command at most.
_CHUNK = 1000
# Open buckets whose messages this process remembers (each at most 15 messages); past that it forgets them all and
# reads each back when next touched.
_OPEN_MAX = 2_000
# Messages a rebuild holds in memory at most before writing them loose (about 50 MiB).
_REBUILD_HELD_MAX = 100_000

Bucket = tuple[str, int]  # (conversation, bucket)


class MessagesProjection:
    name = "messages"
    models: tuple[str, ...] = (MESSAGES,)

    def __init__(self, views: ViewCatalog) -> None:
        self.collection = views[MESSAGES]
        # Per open bucket this process knows: its messages by seq, as their loose documents (None: stored loose and
        # no longer held). Live, each is in the view; in a rebuild, only the ones that are None.
        self.open: dict[Bucket, dict[int, dict[str, Any] | None]] = {}
        self.rebuilding = False
        self.held = 0  # documents a rebuild holds and has not written

    async def ensure_indexes(self) -> None:
        """Read by ``_id`` only."""

    def begin_rebuild(self) -> None:
        """The collection is new and empty: every bucket starts empty, and open ones are held until ``flush``."""
        self.rebuilding = True
        self.open.clear()
        self.held = 0

    async def flush(self) -> None:
        # From here on, live: everything still open is written loose (and stays known to be so).
        if self.rebuilding:
            await self._write_held()
        self.rebuilding = False

    async def apply_batch(self, events: list[Envelope]) -> None:
        incoming: dict[Bucket, dict[int, dict[str, Any]]] = {}
        for event in events:
            if event.type == MessageSent.event_type:
                payload = message_payload(event)
                conversation, seq = payload["conversation_id"], payload["seq"]
                loose = {"_id": history_id(conversation, seq), "seq": seq, "message": packed(payload)}
                incoming.setdefault((conversation, history_bucket(seq)), {})[seq] = loose
        if not incoming:
            return
        try:
            await self._apply(incoming)
        except BaseException:
            for key in incoming:  # what is stored is not known: read it back next time
                self.open.pop(key, None)
            raise
        if self.held > _REBUILD_HELD_MAX:
            await self._write_held()

    async def _apply(self, incoming: dict[Bucket, dict[int, dict[str, Any]]]) -> None:
        if not self.rebuilding and len(self.open) + len(incoming) > _OPEN_MAX:
            self.open.clear()  # forget, and read back what is touched
        sealed_before = await self._recall([key for key in incoming if key not in self.open])
        complete: list[Bucket] = []
        loose: list[dict[str, Any]] = []
        for key, messages in incoming.items():
            if key in sealed_before:
                continue  # applied before: its messages are in the bucket
            if len(self.open[key].keys() | messages.keys()) == HISTORY_BUCKET:
                complete.append(key)
            elif not self.rebuilding:
                loose += [doc for seq, doc in messages.items() if seq not in self.open[key]]
        # Loose messages first, then the buckets, then the sealed loose messages go: a reader asks for buckets and
        # loose ids in one query, so it finds each message at every step. After a crash part-way, the batch comes
        # again and finds the bucket (its loose leftovers are deleted then) or the loose messages.
        for start in range(0, len(loose), _CHUNK):
            await insert_new(self.collection, loose[start : start + _CHUNK])
        buckets = [_bucket_document(key, await self._messages(key, incoming[key])) for key in complete]
        for start in range(0, len(buckets), _CHUNK):
            await insert_new(self.collection, buckets[start : start + _CHUNK])
        # Live, every message of an open bucket is stored loose; in a rebuild, those no longer held.
        stored_loose = [
            history_id(key[0], seq)
            for key in complete
            for seq, doc in self.open[key].items()
            if doc is None or not self.rebuilding
        ]
        await delete_by_id(self.collection, [*stored_loose, *(i for ids in sealed_before.values() for i in ids)])
        for key in complete:
            held = self.open.pop(key)
            if self.rebuilding:
                self.held -= sum(doc is not None for doc in held.values())
        for key, messages in incoming.items():
            if key in self.open:
                known = self.open[key]
                new = {seq: doc for seq, doc in messages.items() if seq not in known}
                if self.rebuilding:
                    self.held += len(new)
                known |= new

    async def _messages(self, key: Bucket, incoming: dict[int, dict[str, Any]]) -> dict[int, dict[str, Any]]:
        """Every message of a complete bucket: from this batch, from memory, and read back if no longer held."""
        known = self.open[key] | incoming
        held = {seq: doc for seq, doc in known.items() if doc is not None}
        if len(held) < len(known):
            conversation = key[0]
            found = await find_by_id(self.collection, [history_id(conversation, s) for s in known if s not in held])
            held |= {int(doc["seq"]): doc for doc in found.values()}
        if len(held) < HISTORY_BUCKET:
            raise RuntimeError(f"messages of {history_bucket_id(*key)} went missing from the view")
        return held

    async def _recall(self, keys: list[Bucket]) -> dict[Bucket, list[str]]:
        """Learn what the view holds of buckets this process has not touched yet; returns those already sealed,
        with the ids of loose leftovers (a crash between a seal and its delete)."""
        if self.rebuilding:
            self.open.update((key, {}) for key in keys)  # the collection started empty
            return {}
        if not keys:
            return {}
        ids = [history_bucket_id(*key) for key in keys]
        ids += [history_id(conversation, seq) for conversation, bucket in keys for seq in _seqs(bucket)]
        found = await find_by_id(self.collection, ids)
        sealed: dict[Bucket, list[str]] = {}
        for conversation, bucket in keys:
            ids_by_seq = {seq: history_id(conversation, seq) for seq in _seqs(bucket)}
            loose = {seq: found[doc_id] for seq, doc_id in ids_by_seq.items() if doc_id in found}
            if history_bucket_id(conversation, bucket) in found:
                sealed[(conversation, bucket)] = [doc["_id"] for doc in loose.values()]
            else:
                self.open[(conversation, bucket)] = dict(loose)
        return sealed

    async def _write_held(self) -> None:
        """A rebuild writes the open buckets' messages it holds as loose documents, then stops holding them (they
        are read back when their bucket is sealed, then deleted)."""
        held = [doc for messages in self.open.values() for doc in messages.values() if doc is not None]
        held.sort(key=lambda doc: str(doc["_id"]))
        for start in range(0, len(held), _CHUNK):
            await insert_new(self.collection, held[start : start + _CHUNK])
        for messages in self.open.values():
            for seq in messages:
                messages[seq] = None
        self.held = 0


def _seqs(bucket: int) -> range:
    return range(bucket * HISTORY_BUCKET + 1, (bucket + 1) * HISTORY_BUCKET + 1)


def _bucket_document(key: Bucket, messages: dict[int, dict[str, Any]]) -> dict[str, Any]:
    """The bucket's messages in seq order, as one JSON string (parsed once by the reader)."""
    conversation, bucket = key
    payloads = [unpacked(messages[seq]["message"]) for seq in _seqs(bucket)]
    return {"_id": history_bucket_id(conversation, bucket), "messages": orjson.dumps(payloads).decode()}

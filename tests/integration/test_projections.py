"""Every projection run directly against fresh views on the session's FerretDB: an event applied twice (in one batch,
in two, or again after a restart) leaves the view of applying it once, and a view built live, batch by batch, is the
view `parley replay` rebuilds from the same log.

The log is written through the event store, as the command side writes it. The live side gets each event as a
consumer does, decoded from the JSON the bus carries; the replay reads the log. Out-of-order and stale events are in
test_projections_out_of_order.py, the consumer's parking of poison events in test_projections_parking.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from command_api.domain.media import media_meta
from projector.consumer import Projection
from projector.rebuild import replay
from projector.registry import PROJECTIONS
from shared.event_store import EventStore
from shared.events import (
    AdminGranted,
    AdminRevoked,
    Envelope,
    EventData,
    MediaUploaded,
    MessageSent,
    MessagesRead,
    NewEvent,
    PresenceChanged,
    PresenceReason,
    SessionEnded,
    UserProfileUpdated,
    UserRegistered,
    new_id,
    now,
)
from shared.streams import (
    admin_stream,
    conversation_id,
    media_stream,
    presence_stream,
    reads_stream,
    sessions_stream,
    user_stream,
)
from shared.views import HISTORY_BUCKET, ViewCatalog

NAMES = list(PROJECTIONS)  # users, conversations, messages, media, catchup
View = dict[str, dict[Any, dict[str, Any]]]  # model -> document id -> document


class Log:
    """Appends events to the test's log as the command side does: each at the end of its stream."""

    def __init__(self, store: EventStore) -> None:
        self.store = store
        self.positions: list[int] = []

    async def append(self, stream: str, build: Callable[[int], EventData]) -> Envelope:
        """``build`` is given the stream version the event takes (a message's seq)."""
        result = await self.store.append_next(stream, lambda version: NewEvent(stream=stream, data=build(version)))
        self.positions.append(result.event.position)
        return result.event

    async def everything(self) -> list[Envelope]:
        """Every event appended, read back from the log."""
        return await self.store.at_positions(self.positions)

    async def register(self, user: str) -> Envelope:
        return await self.append(
            user_stream(user),
            lambda _: UserRegistered(
                user_id=user, name=user.title(), email=f"{user}@example.com", password_hash="$2b$04$not-a-real-hash"
            ),
        )

    async def rename(self, user: str, name: str, avatar: Envelope | None = None) -> Envelope:
        avatar_id = avatar.data["media_id"] if avatar else None
        return await self.append(
            user_stream(user), lambda _: UserProfileUpdated(user_id=user, name=name, avatar_media_id=avatar_id)
        )

    async def presence(self, user: str, *, online: bool) -> Envelope:
        reason: PresenceReason = "connected" if online else "disconnected"
        return await self.append(
            presence_stream(user),
            lambda _: PresenceChanged(user_id=user, online=online, last_seen=now(), reason=reason),
        )

    async def admin(self, user: str, *, granted: bool) -> Envelope:
        kind = AdminGranted if granted else AdminRevoked
        return await self.append(
            admin_stream(user), lambda _: kind(user_id=user, email=f"{user}@example.com", by="ops@host")
        )

    async def upload(self, uploader: str) -> Envelope:
        media_id = new_id()
        return await self.append(
            media_stream(media_id),
            lambda _: MediaUploaded(
                media_id=media_id,
                uploader_id=uploader,
                sha256="ab" * 32,
                name="cat.png",
                size=1234,
                mime="image/png",
                kind="image",
                width=64,
                height=48,
                thumbnail_sha256="cd" * 32,
            ),
        )

    async def send(self, sender: str, receiver: str, text: str = "", *, media: Envelope | None = None) -> Envelope:
        conversation = conversation_id(sender, receiver)
        meta = media_meta(MediaUploaded.model_validate(media.data)) if media else None
        return await self.append(
            conversation,
            lambda seq: MessageSent(
                message_id=new_id(),
                conversation_id=conversation,
                seq=seq,
                sender_id=sender,
                receiver_id=receiver,
                type="image" if media else "text",
                text=text,
                media=meta,
                client_msg_id=new_id(),
                sent_at=now(),
            ),
        )

    async def read(self, reader: str, peer: str, *, up_to: int) -> Envelope:
        conversation = conversation_id(reader, peer)
        return await self.append(
            reads_stream(conversation, reader),
            lambda _: MessagesRead(
                conversation_id=conversation, reader_id=reader, peer_id=peer, up_to_seq=up_to, read_at=now()
            ),
        )

    async def log_out(self, user: str) -> Envelope:
        return await self.append(
            sessions_stream(user), lambda _: SessionEnded(user_id=user, session_id=new_id(), reason="logout")
        )


async def a_day_of_chat(log: Log) -> list[Envelope]:
    """Every kind of event, interleaved as people make them: ana and ben talk past a history bucket and a catch-up
    bucket, ana sends a picture to both others, receipts move, both rename, cyd is made admin and back."""
    for user in ("ana", "ben", "cyd"):
        await log.register(user)
        await log.presence(user, online=True)
    picture = await log.upload("ana")
    await log.rename("ana", "Ana Lima", avatar=picture)
    for n in range(1, HISTORY_BUCKET + 5):
        sender, receiver = ("ana", "ben") if n % 2 else ("ben", "ana")
        await log.send(sender, receiver, f"hello {n}")
        if n % 6 == 0:
            await log.read("ben", "ana", up_to=n - 2)
        if n == 9:
            await log.presence("cyd", online=False)
            await log.rename("ben", "Benjamin")
    await log.send("ana", "ben", media=picture)
    await log.send("ana", "cyd", media=picture)
    await log.send("cyd", "ben", "hi ben")
    await log.read("ana", "ben", up_to=HISTORY_BUCKET)
    await log.read("ben", "cyd", up_to=1)
    await log.admin("cyd", granted=True)
    await log.admin("cyd", granted=False)
    await log.presence("ana", online=False)
    await log.log_out("ben")  # a kind no projection takes
    return await log.everything()


class Views:
    """Fresh views databases beside the test's log, each served through a catalog as the projector's are."""

    def __init__(self, mongo: AsyncMongoClient[dict[str, Any]], db_name: str, store: EventStore) -> None:
        self.mongo = mongo
        self.db_name = db_name
        self.store = store
        self.made: list[str] = []

    def fresh(self) -> ViewCatalog:
        catalog = ViewCatalog(self.mongo[f"{self.db_name}_views{len(self.made)}"])
        catalog.read_positions = self.store.at_positions  # as projector/main.py sets it: the catch-up fills gaps
        self.made.append(catalog.db.name)
        return catalog

    async def drop(self) -> None:
        for name in self.made:
            await self.mongo.drop_database(name)


@pytest.fixture
def log(store: EventStore) -> Log:
    return Log(store)


@pytest.fixture
async def views(mongo: AsyncMongoClient[dict[str, Any]], db_name: str, store: EventStore) -> AsyncIterator[Views]:
    made = Views(mongo, db_name, store)
    yield made
    await made.drop()


def projection(name: str, catalog: ViewCatalog) -> Projection:
    """A new projector's projection (a restart: it knows nothing but what the view holds)."""
    return PROJECTIONS[name](catalog)


def models(name: str) -> tuple[str, ...]:
    found: tuple[str, ...] = PROJECTIONS[name].models  # type: ignore[attr-defined]
    return found


def delivered(events: Iterable[Envelope]) -> list[Envelope]:
    """The events as a consumer gets them: decoded from the JSON the bus carries."""
    return [Envelope.from_json(event.to_json()) for event in events]


async def view(catalog: ViewCatalog, name: str) -> View:
    """Every document of the projection's read models (bookkeeping documents too)."""
    return {model: {doc["_id"]: doc async for doc in catalog[model].find()} for model in models(name)}


async def applied(catalog: ViewCatalog, name: str, batches: Iterable[list[Envelope]]) -> View:
    """The view one projection leaves after these batches."""
    live = projection(name, catalog)
    for batch in batches:
        await live.apply_batch(delivered(batch))
    return await view(catalog, name)


def in_batches(events: list[Envelope], size: int) -> list[list[Envelope]]:
    return [events[start : start + size] for start in range(0, len(events), size)]


@pytest.mark.parametrize("name", NAMES)
async def test_every_event_twice_in_one_batch_leaves_the_view_of_once(name: str, log: Log, views: Views) -> None:
    events = await a_day_of_chat(log)
    once = await applied(views.fresh(), name, [events])
    assert all(once.values()), "the log fills every model of the projection"
    assert await applied(views.fresh(), name, [[e for e in events for _ in (1, 2)]]) == once
    assert await applied(views.fresh(), name, [events + events]) == once  # the whole log again, after newer events


@pytest.mark.parametrize("restarted", [False, True], ids=["same-projector", "restarted-projector"])
@pytest.mark.parametrize("name", NAMES)
async def test_the_log_again_in_later_batches_changes_nothing(
    name: str, restarted: bool, log: Log, views: Views
) -> None:
    """Batches redelivered after they were written, newest first (every event then comes after newer ones of its
    stream), to the projector that wrote them or to one that restarted since."""
    events = await a_day_of_chat(log)
    once = await applied(views.fresh(), name, [events])
    catalog = views.fresh()
    first = projection(name, catalog)
    for batch in in_batches(events, 10):
        await first.apply_batch(delivered(batch))
    again = projection(name, catalog) if restarted else first
    for batch in in_batches(events[::-1], 7):
        await again.apply_batch(delivered(batch))
    assert await view(catalog, name) == once


@pytest.mark.parametrize("size", [1, 6])
@pytest.mark.parametrize("name", NAMES)
async def test_a_view_built_batch_by_batch_equals_a_replay_of_the_log(
    name: str, size: int, log: Log, views: Views, store: EventStore
) -> None:
    """What `parley replay` does (no projector running): rebuild into new collections from the log, switch the
    catalog to them, drop the live ones. The rebuilt view holds exactly the documents the live one held."""
    events = await a_day_of_chat(log)
    catalog = views.fresh()
    live = await applied(catalog, name, in_batches(events, size))
    report = await replay(store, catalog.db, None, [name], drop_after=0)
    assert report.position == events[-1].position and not report.held
    await catalog.refresh()
    assert all(catalog.name(model) != model for model in models(name)), "the catalog serves the rebuilt collections"
    assert await view(catalog, name) == live

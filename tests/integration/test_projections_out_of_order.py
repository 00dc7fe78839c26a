"""Events that arrive late: an older event of a stream after a newer one changes nothing (a stale presence, profile,
admin right or read receipt), and events of different streams end in the same view in either order.

Two command API processes each publish their own appends, so the bus may hand a consumer an event before an older
one of the same stream; a redelivered event comes after everything applied since. Each case is checked in the same
batch, in a later batch, and in a later batch to a restarted projector (which knows only what the view holds).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from projector.rebuild import compare
from shared.event_store import EventStore
from shared.events import Envelope
from shared.views import CONVERSATION_LISTS, CONVERSATIONS, DIRECTORY, HISTORY_BUCKET, MEDIA, USERS, summary_id
from tests.integration.test_projections import Log, View, Views, applied, delivered, projection, view


@pytest.fixture
def log(store: EventStore) -> Log:
    return Log(store)


@pytest.fixture
async def views(mongo: AsyncMongoClient[dict[str, Any]], db_name: str, store: EventStore) -> AsyncIterator[Views]:
    made = Views(mongo, db_name, store)
    yield made
    await made.drop()


async def late_arrival_changes_nothing(
    views: Views, name: str, applied_first: list[Envelope], arriving_late: list[Envelope]
) -> View:
    """The view ``applied_first`` leaves, checked to be the same when ``arriving_late`` comes after it."""
    expected = await applied(views.fresh(), name, [applied_first])
    assert await applied(views.fresh(), name, [applied_first + arriving_late]) == expected, "in the same batch"
    assert await applied(views.fresh(), name, [applied_first, arriving_late]) == expected, "in a later batch"
    catalog = views.fresh()
    await projection(name, catalog).apply_batch(delivered(applied_first))
    await projection(name, catalog).apply_batch(delivered(arriving_late))
    assert await view(catalog, name) == expected, "in a later batch, to a restarted projector"
    return expected


async def any_order_ends_the_same(views: Views, name: str, in_order: list[Envelope], shuffled: list[Envelope]) -> View:
    """The view of ``in_order``, checked to be the same when the events come as ``shuffled``, one per batch."""
    assert sorted(e.position for e in shuffled) == [e.position for e in in_order]
    expected = await applied(views.fresh(), name, [in_order])
    assert await applied(views.fresh(), name, [[event] for event in shuffled]) == expected
    return expected


def names_listed(directory: dict[Any, dict[str, Any]]) -> dict[str, str]:
    return {p["id"]: p["name"] for doc in directory.values() for p in doc.get("people", [])}


# -- users ------------------------------------------------------------------------------------------------------


async def test_a_presence_change_older_than_the_applied_one_changes_nothing(log: Log, views: Views) -> None:
    registered = await log.register("ana")
    went_online = await log.presence("ana", online=True)
    went_offline = await log.presence("ana", online=False)
    ana = (await late_arrival_changes_nothing(views, "users", [registered, went_offline], [went_online]))[USERS]["ana"]
    assert (ana["online"], ana["presence_reason"], ana["presence_version"]) == (False, "disconnected", 2)


async def test_a_profile_change_older_than_the_profile_version_changes_nothing(log: Log, views: Views) -> None:
    registered = await log.register("ana")
    older = await log.rename("ana", "Ana Lima")
    newer = await log.rename("ana", "Ana Souza")
    got = await late_arrival_changes_nothing(views, "users", [registered, newer], [older, registered])
    assert (got[USERS]["ana"]["name"], got[USERS]["ana"]["profile_version"]) == ("Ana Souza", 3)
    assert got[USERS]["ana"]["email"] == "ana@example.com"
    assert names_listed(got[DIRECTORY]) == {"ana": "Ana Souza"}  # the directory keeps the newer name too


async def test_an_admin_grant_older_than_its_revoke_changes_nothing(log: Log, views: Views) -> None:
    registered = await log.register("cyd")
    granted = await log.admin("cyd", granted=True)
    revoked = await log.admin("cyd", granted=False)
    cyd = (await late_arrival_changes_nothing(views, "users", [registered, revoked], [granted]))[USERS]["cyd"]
    assert (cyd["admin"], cyd["admin_version"]) == (False, 2)


async def test_a_registration_after_a_newer_profile_change_still_records_the_email(log: Log, views: Views) -> None:
    registered = await log.register("ana")
    renamed = await log.rename("ana", "Ana Lima")
    got = await any_order_ends_the_same(views, "users", [registered, renamed], [renamed, registered])
    assert got[USERS]["ana"]["email"] == "ana@example.com"


async def test_presence_before_the_registration_ends_as_in_log_order(log: Log, views: Views) -> None:
    """Different streams of one person: their fields do not overlap, so either order gives the same person."""
    registered = await log.register("ana")
    online = await log.presence("ana", online=True)
    granted = await log.admin("ana", granted=True)
    got = await any_order_ends_the_same(views, "users", [registered, online, granted], [granted, online, registered])
    assert (got[USERS]["ana"]["name"], got[USERS]["ana"]["online"], got[USERS]["ana"]["admin"]) == ("Ana", True, True)


# -- conversations ----------------------------------------------------------------------------------------------


async def test_a_read_receipt_lower_than_the_current_one_changes_nothing(log: Log, views: Views) -> None:
    sent = [await log.send("ana", "ben", f"hello {n}") for n in range(1, 6)]
    read_two = await log.read("ben", "ana", up_to=2)
    read_four = await log.read("ben", "ana", up_to=4)
    got = await late_arrival_changes_nothing(views, "conversations", [*sent, read_four], [read_two])
    bens = got[CONVERSATIONS][summary_id("ben", "ana")]
    assert (bens["read_seq"], bens["unread_seqs"], bens["unread"]) == (4, [5], 1)
    assert got[CONVERSATIONS][summary_id("ana", "ben")]["peer_read_seq"] == 4


async def test_an_older_message_after_a_newer_one_leaves_the_newer_as_the_last_message(log: Log, views: Views) -> None:
    first, second, third = [await log.send("ana", "ben", f"hello {n}") for n in (1, 2, 3)]
    got = await any_order_ends_the_same(views, "conversations", [first, second, third], [third, first, second])
    for owner, peer in (("ana", "ben"), ("ben", "ana")):
        summary = got[CONVERSATIONS][summary_id(owner, peer)]
        assert (summary["last_seq"], summary["last_message"]["text"]) == (3, "hello 3")
    assert got[CONVERSATIONS][summary_id("ben", "ana")]["unread_seqs"] == [1, 2, 3]


async def test_a_receipt_before_the_messages_it_covers_leaves_them_read(log: Log, views: Views) -> None:
    sent = [await log.send("ana", "ben", f"hello {n}") for n in (1, 2, 3)]
    read = await log.read("ben", "ana", up_to=3)
    got = await any_order_ends_the_same(views, "conversations", [*sent, read], [read, *sent[::-1]])
    assert got[CONVERSATIONS][summary_id("ben", "ana")]["unread"] == 0
    assert [p["peer_id"] for p in got[CONVERSATION_LISTS]["ben"]["peers"]] == ["ana"]


# -- messages (test_history.py covers seals, crashes and restarts in depth) ---------------------------------------


async def test_messages_newest_first_one_at_a_time_leave_the_view_of_log_order(log: Log, views: Views) -> None:
    sent = [await log.send("ana", "ben", f"hello {n}") for n in range(1, HISTORY_BUCKET + 4)]
    await any_order_ends_the_same(views, "messages", sent, sent[::-1])
    # An older message again once its bucket is sealed, to a projector that sealed it or to a restarted one.
    await late_arrival_changes_nothing(views, "messages", sent, sent[:2])


# -- media --------------------------------------------------------------------------------------------------------


async def test_a_message_carrying_an_upload_before_the_upload_itself_ends_as_in_log_order(
    log: Log, views: Views
) -> None:
    picture = await log.upload("ana")
    shown = await log.send("ana", "ben", media=picture)
    media = (await any_order_ends_the_same(views, "media", [picture, shown], [shown, picture]))[MEDIA]
    doc = media[picture.data["media_id"]]
    assert (doc["viewers"], doc["name"], doc["uploaded_at"]) == (["ana", "ben"], "cat.png", picture.occurred_at)


async def test_an_upload_shown_again_later_changes_nothing(log: Log, views: Views) -> None:
    picture = await log.upload("ana")
    shown = await log.send("ana", "ben", media=picture)
    await late_arrival_changes_nothing(views, "media", [picture, shown], [picture, shown])


async def test_an_upload_sent_in_two_conversations_ends_the_same_in_either_order(log: Log, views: Views) -> None:
    picture = await log.upload("ana")
    to_ben = await log.send("ana", "ben", media=picture)
    to_cyd = await log.send("ana", "cyd", media=picture)
    await any_order_ends_the_same(views, "media", [picture, to_ben, to_cyd], [picture, to_cyd, to_ben])


async def test_verify_takes_viewers_as_a_set(mongo: AsyncMongoClient[dict[str, Any]], db_name: str) -> None:
    """A media document written before viewers were kept sorted holds them in the order messages arrived: the same
    viewers as a replay's, which verify must not report."""
    db = mongo[f"{db_name}_verify"]
    await db["live"].insert_one({"_id": "m1", "viewers": ["ana", "cyd", "ben"], "name": "cat.png"})
    await db["rebuilt"].insert_one({"_id": "m1", "viewers": ["ana", "ben", "cyd"], "name": "cat.png"})
    try:
        assert (await compare(MEDIA, db["live"], db["rebuilt"])).changed_count == 0
        await db["rebuilt"].update_one({"_id": "m1"}, {"$set": {"viewers": ["ana", "ben"]}})
        assert (await compare(MEDIA, db["live"], db["rebuilt"])).changed_count == 1  # a viewer more is a change
    finally:
        await mongo.drop_database(f"{db_name}_verify")


# -- catch-up -----------------------------------------------------------------------------------------------------


async def test_catch_up_past_a_gap_fills_it_from_the_log_and_the_late_batch_then_changes_nothing(
    log: Log, views: Views
) -> None:
    sent = [await log.send("ana", "ben", f"hello {n}") for n in range(1, 21)]
    in_order = await applied(views.fresh(), "catchup", [sent])
    # The bus hands over the later batch first: the positions before it are read from the log and applied first.
    assert await late_arrival_changes_nothing(views, "catchup", sent[8:], sent[:8]) == in_order

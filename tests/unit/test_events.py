from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from shared import events
from shared.events import EVENT_TYPES, UPCASTERS, Envelope, EventData, PresenceChanged, UnknownEventType, now, upcast


class NoteTaken(EventData):
    """A test-only event whose data shape went from v1 {text} to v2 {text, tags} to v3 {body, tags}."""

    event_type = "NoteTaken"
    schema_version = 3

    body: str
    tags: list[str]


@pytest.fixture
def note_taken() -> Iterator[None]:
    EVENT_TYPES[NoteTaken.event_type] = NoteTaken
    UPCASTERS[("NoteTaken", 1)] = lambda d: {**d, "tags": []}
    UPCASTERS[("NoteTaken", 2)] = lambda d: {"body": d["text"], "tags": d["tags"]}
    yield
    del EVENT_TYPES[NoteTaken.event_type]
    del UPCASTERS[("NoteTaken", 1)], UPCASTERS[("NoteTaken", 2)]


def test_upcast_applies_each_step(note_taken: None) -> None:
    assert upcast("NoteTaken", 1, {"text": "hi"}) == (3, {"body": "hi", "tags": []})
    assert upcast("NoteTaken", 2, {"text": "hi", "tags": ["a"]}) == (3, {"body": "hi", "tags": ["a"]})
    assert upcast("NoteTaken", 3, {"body": "hi", "tags": []}) == (3, {"body": "hi", "tags": []})


def test_unknown_type_is_an_error() -> None:
    with pytest.raises(UnknownEventType):
        upcast("NoSuchEvent", 1, {})


def _doc(**overrides: Any) -> dict[str, Any]:
    return {
        "_id": "0000000000000007",
        "event_id": "e1",
        "type": "UserRegistered",
        "schema": 1,
        "stream": "user:u1",
        "stream_version": 1,
        "position": 7,
        "occurred_at": datetime(2026, 1, 2, 3, 4, 5, 6000, tzinfo=UTC),
        "actor_id": "u1",
        "correlation_id": "r1",
        "causation_id": None,
        "data": {"user_id": "u1", "name": "Ada", "email": "a@example.com", "password_hash": "$2b$12$x"},
        **overrides,
    }


def test_envelope_json_round_trip() -> None:
    envelope = Envelope.from_document(_doc())
    assert Envelope.from_json(envelope.to_json()) == envelope


def test_envelope_decodes_typed_data() -> None:
    data = Envelope.from_document(_doc()).decode()
    assert isinstance(data, events.UserRegistered)
    assert data.name == "Ada"


def test_public_data_hides_secrets() -> None:
    assert "password_hash" not in Envelope.from_document(_doc()).public_data()


def test_envelope_upcasts_old_documents(note_taken: None) -> None:
    envelope = Envelope.from_document(_doc(type="NoteTaken", schema=1, data={"text": "old"}))
    assert envelope.schema == 3
    assert envelope.decode() == NoteTaken(body="old", tags=[])


def test_naive_dates_are_read_as_utc() -> None:
    envelope = Envelope.from_document(_doc(occurred_at=datetime(2026, 1, 2)))
    assert envelope.occurred_at.tzinfo is UTC


def test_presence_schema_1_is_upcast_with_the_reason_it_implied() -> None:
    last_seen = now()
    for online, reason in ((True, "connected"), (False, "disconnected")):
        schema, data = upcast("PresenceChanged", 1, {"user_id": "u", "online": online, "last_seen": last_seen})
        assert schema == 2
        assert PresenceChanged.model_validate(data).reason == reason

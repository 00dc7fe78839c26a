"""The event handler table: each event goes to the handler of its type, with its data typed."""

from __future__ import annotations

from shared.dispatch import EventHandlers
from shared.events import (
    AdminGranted,
    AdminRevoked,
    Envelope,
    EventData,
    PresenceChanged,
    SessionEnded,
    UserRegistered,
    now,
)


def _event(data: EventData, position: int = 1) -> Envelope:
    return Envelope(
        id=f"e{position}",
        type=data.event_type,
        schema=data.schema_version,
        stream="s",
        stream_version=position,
        position=position,
        occurred_at=now(),
        actor_id=None,
        correlation_id=None,
        causation_id=None,
        data=data.model_dump(mode="python"),
    )


def test_each_event_goes_to_the_handler_of_its_type_with_its_data() -> None:
    seen: list[tuple[str, str]] = []

    def registered(event: Envelope, data: UserRegistered, log: list[tuple[str, str]]) -> str:
        log.append(("registered", data.name))
        return data.user_id

    def admin(event: Envelope, data: AdminGranted | AdminRevoked, log: list[tuple[str, str]]) -> str:
        log.append((type(data).__name__, data.user_id))
        return event.id

    handlers = EventHandlers[list[tuple[str, str]], str]()
    handlers.on(UserRegistered, registered)
    handlers.on(AdminGranted, admin)
    handlers.on(AdminRevoked, admin)
    joined = _event(UserRegistered(user_id="u1", name="Ann", email="ann@example.com", password_hash="x"))
    granted = _event(AdminGranted(user_id="u2", email="bo@example.com", by="ops@host"), position=2)
    assert handlers(joined, seen) == "u1"
    assert handlers(granted, seen) == "e2"
    assert seen == [("registered", "Ann"), ("AdminGranted", "u2")]
    assert handlers.types == {"UserRegistered", "AdminGranted", "AdminRevoked"}


def test_an_event_without_a_handler_is_left_alone() -> None:
    handlers = EventHandlers[None, int]()
    handlers.on(PresenceChanged, lambda event, data, _: 1)
    ended = _event(SessionEnded(user_id="u1", session_id="s1", reason="logout"))
    assert not handlers.handles(ended)
    assert handlers(ended, None) is None

from __future__ import annotations

import pytest
from pydantic import ValidationError

from command_api.domain.messaging import (
    DecisionError,
    MarkRead,
    SendMessage,
    mark_read,
    message_key,
    send_message,
)
from command_api.domain.presence import decide_presence
from shared.events import MessageSent, MessagesRead, PresenceChanged, now
from shared.streams import conversation_id, participants, reads_stream


def text(**kw: object) -> SendMessage:
    return SendMessage.model_validate({"to": "bob", "type": "text", "text": "hi", "client_msg_id": "c1", **kw})


def test_conversation_id_is_the_same_from_both_sides() -> None:
    assert conversation_id("b", "a") == conversation_id("a", "b") == "dm:a:b"
    assert participants("dm:a:b") == ("a", "b")


def test_text_is_trimmed() -> None:
    assert text(text="  hello \n").text == "hello"


@pytest.mark.parametrize(
    "overrides",
    [
        {"text": ""},
        {"text": "  \n "},
        {"text": "x" * 10_001},
        {"text": "a\x00b"},
        {"type": "gif"},
        {"type": "image", "text": ""},
        {"media_id": "m1"},
        {"client_msg_id": ""},
        {"to": ""},
    ],
)
def test_invalid_commands(overrides: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        text(**overrides)


def test_media_message_may_have_a_caption() -> None:
    command = text(type="image", media_id="m1", text=" look ")
    assert command.text == "look" and command.media_id == "m1"


def test_send_message_decision() -> None:
    event = send_message(text(), sender_id="alice", seq=7, media=None, correlation_id="r")
    assert event.stream == "dm:alice:bob"
    assert event.idempotency_key == message_key("alice", "c1")
    assert isinstance(event.data, MessageSent)
    assert (event.data.seq, event.data.sender_id, event.data.receiver_id) == (7, "alice", "bob")
    assert not event.indexed_before_answer  # a send is answered once it is in the log


def test_cannot_message_yourself() -> None:
    with pytest.raises(DecisionError):
        send_message(text(to="alice"), sender_id="alice", seq=1, media=None, correlation_id=None)


def test_mark_read_moves_forward_only() -> None:
    command = MarkRead(peer_id="bob", up_to_seq=3)
    event = mark_read(command, reader_id="alice", last_seq=5, previous_up_to=1, correlation_id=None)
    assert event is not None and event.stream == reads_stream("dm:alice:bob", "alice")
    assert isinstance(event.data, MessagesRead) and event.data.up_to_seq == 3
    assert mark_read(command, reader_id="alice", last_seq=5, previous_up_to=3, correlation_id=None) is None
    with pytest.raises(DecisionError):
        mark_read(
            MarkRead(peer_id="bob", up_to_seq=6), reader_id="alice", last_seq=5, previous_up_to=0, correlation_id=None
        )


def test_presence_transitions_say_why() -> None:
    def reason(**kw: bool) -> str:
        decided = decide_presence("u", at=now(), **kw)
        assert decided is not None and isinstance(decided.data, PresenceChanged)
        return decided.data.reason

    assert reason(currently_online=False, has_sessions=True) == "connected"
    assert reason(currently_online=True, has_sessions=False) == "disconnected"
    assert reason(currently_online=True, has_sessions=False, expired=True) == "node_expired"
    assert decide_presence("u", currently_online=True, has_sessions=True, at=now()) is None


def test_transitions_are_answered_before_the_log_index_and_receipts_after() -> None:
    """Events wait for their index entries unless they say otherwise (shared.events.NewEvent)."""
    transition = decide_presence("u", currently_online=False, has_sessions=True, at=now())
    assert transition is not None and not transition.indexed_before_answer
    assert mark_read(
        MarkRead(peer_id="bob", up_to_seq=1), reader_id="alice", last_seq=1, previous_up_to=0, correlation_id=None
    ).indexed_before_answer  # type: ignore[union-attr]

"""Messaging: the SendMessage and MarkRead commands and their decisions."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, model_validator

from command_api.domain.rules import DecisionError
from shared.events import MessageSent, MessagesRead, NewEvent, new_id, now
from shared.streams import conversation_id, reads_stream
from shared.validation import SafeStr, StrictBody

MAX_TEXT_CHARS = 10_000


def _trimmed(value: str) -> str:
    return value.strip()


class SendMessage(StrictBody):
    to: Annotated[SafeStr, Field(min_length=1, max_length=64)]
    type: Literal["text", "image", "video", "audio", "file"]
    text: Annotated[SafeStr, Field(max_length=MAX_TEXT_CHARS * 4), AfterValidator(_trimmed)] = ""
    media_id: Annotated[SafeStr, Field(min_length=1, max_length=64)] | None = None
    client_msg_id: Annotated[SafeStr, Field(min_length=1, max_length=100)]

    @model_validator(mode="after")
    def _shape(self) -> SendMessage:
        if len(self.text) > MAX_TEXT_CHARS:
            raise ValueError(f"text must be at most {MAX_TEXT_CHARS} characters")
        if self.type == "text":
            if not self.text:
                raise ValueError("text must not be empty")
            if self.media_id is not None:
                raise ValueError("a text message has no media_id")
        elif self.media_id is None:
            raise ValueError(f"a {self.type} message needs a media_id")
        return self


class MarkRead(StrictBody):
    peer_id: Annotated[SafeStr, Field(min_length=1, max_length=64)]
    up_to_seq: Annotated[int, Field(ge=1, le=2**53)]


def message_key(sender_id: str, client_msg_id: str) -> str:
    """A retried send (same sender, same client_msg_id) returns the first message."""
    return f"message:{sender_id}:{client_msg_id}"


def check_recipient(sender_id: str, recipient_id: str) -> None:
    if sender_id == recipient_id:
        raise DecisionError("you cannot send a message to yourself")


def send_message(
    command: SendMessage,
    *,
    sender_id: str,
    seq: int,
    media: dict[str, Any] | None,
    correlation_id: str | None,
) -> NewEvent:
    """Decide a message as the conversation's ``seq``-th."""
    check_recipient(sender_id, command.to)
    conversation = conversation_id(sender_id, command.to)
    return NewEvent(
        stream=conversation,
        data=MessageSent(
            message_id=new_id(),
            conversation_id=conversation,
            seq=seq,
            sender_id=sender_id,
            receiver_id=command.to,
            type=command.type,
            text=command.text,
            media=media,
            client_msg_id=command.client_msg_id,
            sent_at=now(),
        ),
        actor_id=sender_id,
        idempotency_key=message_key(sender_id, command.client_msg_id),
        correlation_id=correlation_id,
        # A message's key serves only a retry, which comes after a lost answer, not within the moment the index
        # lags; and the next send in the conversation comes from a person. So the send does not wait for it.
        indexed_before_answer=False,
    )


def mark_read(
    command: MarkRead, *, reader_id: str, last_seq: int, previous_up_to: int, correlation_id: str | None
) -> NewEvent | None:
    """Decide a read receipt; None when it would not move the reader's position forward."""
    check_recipient(reader_id, command.peer_id)
    if command.up_to_seq > last_seq:
        raise DecisionError(f"up_to_seq is past the conversation's last message ({last_seq})")
    if command.up_to_seq <= previous_up_to:
        return None
    conversation = conversation_id(reader_id, command.peer_id)
    return NewEvent(
        stream=reads_stream(conversation, reader_id),
        data=MessagesRead(
            conversation_id=conversation,
            reader_id=reader_id,
            peer_id=command.peer_id,
            up_to_seq=command.up_to_seq,
            read_at=now(),
        ),
        actor_id=reader_id,
        correlation_id=correlation_id,
    )

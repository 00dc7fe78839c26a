"""Sending a message, and marking a conversation read."""

from __future__ import annotations

from command_api.directory import UserDirectory
from command_api.domain.media import attach_media
from command_api.domain.messaging import MarkRead, SendMessage, check_recipient, mark_read, message_key, send_message
from command_api.domain.rules import NotFound
from command_api.recorder import Decision, Recorder
from shared.event_log import EventLog
from shared.events import Envelope, MessagesRead
from shared.streams import conversation_id, is_media_id, media_stream, reads_stream


def already_sent(log: EventLog, *, sender_id: str, client_msg_id: str) -> Envelope | None:
    """The message a retry of a send this process stored lately refers to (no read; the store's unique key
    catches every other retry)."""
    return log.recall(message_key(sender_id, client_msg_id))


async def send(
    command: SendMessage,
    *,
    sender_id: str,
    log: EventLog,
    recorder: Recorder,
    directory: UserDirectory,
    correlation_id: str | None,
) -> Envelope:
    """Store the message as the conversation's next; a retry (same client_msg_id) gets the first one back."""
    check_recipient(sender_id, command.to)
    conversation = conversation_id(sender_id, command.to)
    if not await directory.exists(command.to, read_ahead=[conversation]):
        raise NotFound("recipient not found")
    media = None
    if command.type != "text":
        assert command.media_id is not None  # SendMessage requires one for media types
        # Someone else's upload is answered like a missing one: 422 "unknown media_id".
        uploaded = await log.last_event(media_stream(command.media_id)) if is_media_id(command.media_id) else None
        media = attach_media(uploaded, sender_id=sender_id, message_type=command.type)
    result = await recorder.record_next(
        conversation,
        lambda seq: send_message(command, sender_id=sender_id, seq=seq, media=media, correlation_id=correlation_id),
    )
    return result.event


async def read(
    command: MarkRead,
    *,
    reader_id: str,
    log: EventLog,
    recorder: Recorder,
    directory: UserDirectory,
    correlation_id: str | None,
) -> Envelope:
    """Move the reader's receipt up to ``command.up_to_seq``; the receipt as it stands (a receipt never moves
    back: an older one answers the newer receipt already there)."""
    check_recipient(reader_id, command.peer_id)
    if not await directory.exists(command.peer_id):
        raise NotFound("peer not found")
    conversation = conversation_id(reader_id, command.peer_id)
    stream = reads_stream(conversation, reader_id)
    previous: Envelope | None = None

    async def decide() -> Decision:
        nonlocal previous
        previous = await log.last_event(stream)
        previous_up_to = 0
        if previous is not None:
            data = previous.decode()
            assert isinstance(data, MessagesRead)
            previous_up_to = data.up_to_seq
        last_seq = await log.stream_version(conversation)
        if command.up_to_seq > last_seq:
            # This process may remember the conversation from before another instance's sends, and the message
            # may be answered but not indexed yet: look at the log.
            last_seq = await log.latest_stream_version(conversation, claimed=command.up_to_seq)
        new = mark_read(
            command,
            reader_id=reader_id,
            last_seq=last_seq,
            previous_up_to=previous_up_to,
            correlation_id=correlation_id,
        )
        return Decision(new, expected_version=previous.stream_version if previous else 0)

    result = await recorder.decide(decide)
    if result is None:
        assert previous is not None  # up_to_seq >= 1 always moves a reader with no receipt yet
        return previous
    return result.event

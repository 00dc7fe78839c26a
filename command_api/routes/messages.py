"""Messages: send one, and mark a conversation read."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status

from command_api.deps import CurrentUserId, DirectoryDep, EventStoreDep, RateLimitDep, RecorderDep, SignerDep
from command_api.domain.media import attach_media
from command_api.domain.messaging import MarkRead, SendMessage, check_recipient, mark_read, message_key, send_message
from shared.conversations import message_payload, read_payload
from shared.event_log import ConcurrencyError
from shared.events import MessagesRead
from shared.logging import request_id_var
from shared.schemas import MessageResponse, ReadResponse
from shared.streams import conversation_id, is_media_id, media_stream, reads_stream

router = APIRouter(prefix="/api/messages", tags=["messages"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses={
        404: {"description": "Unknown recipient"},
        422: {"description": "Invalid message"},
        429: {"description": "Sending too fast"},
    },
)
async def send(
    body: SendMessage,
    user_id: CurrentUserId,
    store: EventStoreDep,
    recorder: RecorderDep,
    directory: DirectoryDep,
    limiter: RateLimitDep,
    signer: SignerDep,
) -> MessageResponse:
    """Send a message to another user; a retry with the same client_msg_id returns the same message."""
    existing = store.recall(message_key(user_id, body.client_msg_id))
    if existing is not None:
        return MessageResponse.model_validate({"message": signer.message(message_payload(existing))})
    wait = limiter.take(user_id)
    if wait is not None:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            "sending too fast, slow down",
            headers={"Retry-After": str(max(1, round(wait)))},
        )
    check_recipient(user_id, body.to)
    conversation = conversation_id(user_id, body.to)
    if not await directory.exists(body.to, read_ahead=[conversation]):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "recipient not found")
    media = None
    if body.type != "text":
        assert body.media_id is not None  # SendMessage requires one for media types
        # Someone else's upload is answered like a missing one: 422 "unknown media_id".
        uploaded = await store.last_event(media_stream(body.media_id)) if is_media_id(body.media_id) else None
        media = attach_media(uploaded, sender_id=user_id, message_type=body.type)
    result = await recorder.record_next(
        conversation,
        lambda seq: send_message(body, sender_id=user_id, seq=seq, media=media, correlation_id=request_id_var.get()),
    )
    return MessageResponse.model_validate({"message": signer.message(message_payload(result.event))})


@router.post("/read", responses={404: {"description": "Unknown peer"}, 422: {"description": "Invalid receipt"}})
async def read(
    body: MarkRead, user_id: CurrentUserId, store: EventStoreDep, recorder: RecorderDep, directory: DirectoryDep
) -> ReadResponse:
    """Mark the conversation with peer_id read up to (and including) up_to_seq; the peer is told."""
    check_recipient(user_id, body.peer_id)
    if not await directory.exists(body.peer_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "peer not found")
    conversation = conversation_id(user_id, body.peer_id)
    stream = reads_stream(conversation, user_id)
    for _ in range(3):
        previous = await store.last_event(stream)
        previous_up_to = 0
        if previous is not None:
            data = previous.decode()
            assert isinstance(data, MessagesRead)
            previous_up_to = data.up_to_seq
        new = mark_read(
            body,
            reader_id=user_id,
            last_seq=await store.stream_version(conversation),
            previous_up_to=previous_up_to,
            correlation_id=request_id_var.get(),
        )
        if new is None:
            assert previous is not None  # up_to_seq >= 1 always moves a reader with no receipt yet
            return ReadResponse.model_validate({"read": read_payload(previous)})
        try:
            result = await recorder.record(new, expected_version=previous.stream_version if previous else 0)
        except ConcurrencyError:
            store.forget(stream)  # another tab marked it at the same moment: decide again on what it wrote
            continue
        return ReadResponse.model_validate({"read": read_payload(result.event)})
    raise ConcurrencyError(stream, 0)

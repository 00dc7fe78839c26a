"""Messages: send one, and mark a conversation read."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status

from command_api.deps import CurrentUserId, DirectoryDep, EventStoreDep, RateLimitDep, RecorderDep, SignerDep
from command_api.domain.messaging import MarkRead, SendMessage
from command_api.handlers import messaging
from shared.conversations import message_payload, read_payload
from shared.logging import request_id_var
from shared.schemas import MessageResponse, ReadResponse

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
    # A retry of a send this process stored is answered before the rate limit: it stores nothing.
    event = messaging.already_sent(store, sender_id=user_id, client_msg_id=body.client_msg_id)
    if event is None:
        wait = limiter.take(user_id)
        if wait is not None:
            raise HTTPException(
                status.HTTP_429_TOO_MANY_REQUESTS,
                "sending too fast, slow down",
                headers={"Retry-After": str(max(1, round(wait)))},
            )
        event = await messaging.send(
            body,
            sender_id=user_id,
            log=store,
            recorder=recorder,
            directory=directory,
            correlation_id=request_id_var.get(),
        )
    return MessageResponse.model_validate({"message": signer.message(message_payload(event))})


@router.post("/read", responses={404: {"description": "Unknown peer"}, 422: {"description": "Invalid receipt"}})
async def read(
    body: MarkRead, user_id: CurrentUserId, store: EventStoreDep, recorder: RecorderDep, directory: DirectoryDep
) -> ReadResponse:
    """Mark the conversation with peer_id read up to (and including) up_to_seq; the peer is told."""
    receipt = await messaging.read(
        body, reader_id=user_id, log=store, recorder=recorder, directory=directory, correlation_id=request_id_var.get()
    )
    return ReadResponse.model_validate({"read": read_payload(receipt)})

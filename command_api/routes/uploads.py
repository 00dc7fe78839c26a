"""Uploads: store a file, record MediaUploaded, answer its id and (signed) URLs; messages then refer to the id."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, status

from command_api.deps import (
    CurrentUserId,
    ImageSlotsDep,
    RecorderDep,
    SettingsDep,
    SignerDep,
    StorageDep,
    UploadQuotaDep,
)
from command_api.domain.media import MediaRefused, media_meta
from command_api.handlers.media import store_upload
from command_api.media.imaging import ImageLimits
from command_api.media.uploads import FRAMING_ALLOWANCE, receive_file
from command_api.quota import QuotaExceeded
from command_api.rate_limit import too_many
from shared.logging import request_id_var
from shared.schemas import MediaOut, Out

router = APIRouter(prefix="/api/uploads", tags=["media"])


class MediaResponse(Out):
    media: MediaOut


_MULTIPART_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            }
        },
    }
}


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    openapi_extra=_MULTIPART_BODY,
    responses={
        413: {"description": "Larger than the upload limit (PARLEY_MAX_UPLOAD_BYTES, 25 MB by default)"},
        415: {"description": "Type refused: HTML, SVG, executables, anything not on the allow list"},
        422: {"description": "Empty file, damaged file, too many pixels, or no `file` field"},
        429: {"description": "Daily upload quota spent (count or bytes; `Retry-After`)"},
    },
)
async def upload(
    request: Request,
    user_id: CurrentUserId,
    settings: SettingsDep,
    storage: StorageDep,
    signer: SignerDep,
    image_slots: ImageSlotsDep,
    recorder: RecorderDep,
    quota: UploadQuotaDep,
) -> MediaResponse:
    """Upload one file (multipart field `file`); its type is read from its bytes. Send it with POST /api/messages."""
    try:
        # Before reading the body: a spent quota costs no upload. The declared length, less what multipart framing
        # may add, is a lower bound of the file's size.
        declared = request.headers.get("content-length", "")
        at_least = (
            max(0, min(int(declared), settings.max_upload_bytes) - FRAMING_ALLOWANCE) if declared.isdigit() else 0
        )
        await quota.check(user_id, at_least)
    except QuotaExceeded as spent:
        raise too_many(spent.detail, spent.retry_after) from None
    received = await receive_file(request, storage, limit=settings.max_upload_bytes)
    limits = ImageLimits(
        max_pixels=settings.max_image_pixels,
        max_frames=settings.max_image_frames,
        max_seconds=settings.max_image_seconds,
    )
    try:
        data = await store_upload(
            received,
            uploader_id=user_id,
            storage=storage,
            quota=quota,
            image_slots=image_slots,
            limits=limits,
            recorder=recorder,
            correlation_id=request_id_var.get(),
        )
    except MediaRefused as refused:
        raise HTTPException(refused.status, refused.detail) from None
    except QuotaExceeded as spent:
        raise too_many(spent.detail, spent.retry_after) from None
    return MediaResponse.model_validate({"media": signer.media(media_meta(data))})

"""Uploads: store a file, record MediaUploaded, answer its id and (signed) URLs; messages then refer to the id."""

from __future__ import annotations

import asyncio
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request, status
from pydantic import BaseModel

from command_api.deps import (
    CurrentUserId,
    ImageSlotsDep,
    RecorderDep,
    SettingsDep,
    SignerDep,
    StorageDep,
    UploadQuotaDep,
)
from command_api.domain.media import MediaRefused, damaged, media_meta, sanitize_name, upload_media
from command_api.media.imaging import ImageLimits, process_image
from command_api.media.sniffing import sniff
from command_api.media.uploads import FRAMING_ALLOWANCE, receive_file
from command_api.quota import QuotaExceeded
from command_api.rate_limit import too_many
from shared.events import MediaUploaded, new_id
from shared.logging import request_id_var
from shared.schemas import MediaOut

router = APIRouter(prefix="/api/uploads", tags=["media"])


class MediaResponse(BaseModel):
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
    staged: list[Path] = [received.path]
    try:
        if received.size == 0:
            raise damaged("the file is empty")
        sniffed = await asyncio.to_thread(sniff, received.path)
        # Counted once the type is accepted (a refused type costs no quota), before any decoding or storing.
        await quota.reserve(user_id, received.size)
        name = sanitize_name(received.filename, fallback=f"{sniffed.kind}.{sniffed.extension}")
        sha256, size, width, height, thumbnail_sha256 = received.sha256, received.size, None, None, None
        if sniffed.kind == "image":
            out, out_path = storage.staging_file()
            out.close()
            staged.append(out_path)
            async with image_slots:
                limits = ImageLimits(
                    max_pixels=settings.max_image_pixels,
                    max_frames=settings.max_image_frames,
                    max_seconds=settings.max_image_seconds,
                )
                image = await asyncio.to_thread(
                    process_image,
                    received.path,
                    out_path,
                    mime=sniffed.mime,
                    max_pixels=limits.max_pixels,
                    limits=limits,
                )
            await storage.put_file(out_path, image.sha256)
            thumbnail_sha256 = await storage.put_bytes(image.thumbnail)
            sha256, size, width, height = image.sha256, image.size, image.width, image.height
        else:
            await storage.put_file(received.path, received.sha256)
    except MediaRefused as refused:
        raise HTTPException(refused.status, refused.detail) from None
    except QuotaExceeded as spent:
        raise too_many(spent.detail, spent.retry_after) from None
    finally:
        for path in staged:
            await asyncio.to_thread(path.unlink, missing_ok=True)
    new = upload_media(
        media_id=new_id(),
        uploader_id=user_id,
        sha256=sha256,
        name=name,
        size=size,
        mime=sniffed.mime,
        kind=sniffed.kind,
        width=width,
        height=height,
        thumbnail_sha256=thumbnail_sha256,
        correlation_id=request_id_var.get(),
    )
    result = await recorder.record(new, expected_version=0)
    data = result.event.decode()
    assert isinstance(data, MediaUploaded)
    return MediaResponse.model_validate({"media": signer.media(media_meta(data))})

"""Uploads: check a received file's type by its bytes, count it against the quota, re-encode an image, store the
bytes, and record ``MediaUploaded``."""

from __future__ import annotations

import asyncio
from pathlib import Path

from command_api.domain.media import damaged, sanitize_name, upload_media
from command_api.media.imaging import ImageLimits, process_image
from command_api.media.sniffing import sniff
from command_api.media.uploads import ReceivedFile
from command_api.quota import UploadQuota
from command_api.recorder import Recorder
from shared.events import MediaUploaded, new_id
from shared.storage import MediaStorage


async def store_upload(
    received: ReceivedFile,
    *,
    uploader_id: str,
    storage: MediaStorage,
    quota: UploadQuota,
    image_slots: asyncio.Semaphore,
    limits: ImageLimits,
    recorder: Recorder,
    correlation_id: str | None,
) -> MediaUploaded:
    """Store the received file as the uploader's new media. Raises ``MediaRefused`` (type refused, empty, damaged,
    too many pixels) or ``QuotaExceeded``; the staged files are removed either way."""
    staged: list[Path] = [received.path]
    try:
        if received.size == 0:
            raise damaged("the file is empty")
        sniffed = await asyncio.to_thread(sniff, received.path)
        # Counted once the type is accepted (a refused type costs no quota), before any decoding or storing.
        await quota.reserve(uploader_id, received.size)
        name = sanitize_name(received.filename, fallback=f"{sniffed.kind}.{sniffed.extension}")
        sha256, size, width, height, thumbnail_sha256 = received.sha256, received.size, None, None, None
        if sniffed.kind == "image":
            out, out_path = storage.staging_file()
            out.close()
            staged.append(out_path)
            async with image_slots:
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
    finally:
        for path in staged:
            await asyncio.to_thread(path.unlink, missing_ok=True)
    new = upload_media(
        media_id=new_id(),
        uploader_id=uploader_id,
        sha256=sha256,
        name=name,
        size=size,
        mime=sniffed.mime,
        kind=sniffed.kind,
        width=width,
        height=height,
        thumbnail_sha256=thumbnail_sha256,
        correlation_id=correlation_id,
    )
    result = await recorder.record(new, expected_version=0)
    data = result.event.decode()
    assert isinstance(data, MediaUploaded)
    return data

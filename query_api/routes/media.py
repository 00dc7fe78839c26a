"""Media downloads: the bytes of an upload or its thumbnail, for the people allowed to see it.

Allowed: the uploader and both participants of every conversation it was sent in (the ``media`` view), with the
bearer token; or anyone holding a signed URL we handed out (``?exp=&sig=``) until it expires, because ``<img>`` and
``<video>`` cannot send headers. Everything else (an unknown id, someone else's media, a tampered or expired
signature) gets the same 404, so outsiders cannot tell which ids exist. No signature and no token: 401.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Query, Request, Response, status
from fastapi.responses import StreamingResponse

from query_api.deps import EventReaderDep, SignerDep, StorageDep, ViewsDep
from shared.events import MediaUploaded
from shared.media_urls import Variant
from shared.streams import is_media_id, media_stream
from shared.views import MEDIA
from shared.web import authenticated_user_id

router = APIRouter(prefix="/api/media", tags=["media"])

NOT_FOUND = "media not found"
_INLINE_KINDS = {"image", "video", "audio"}
_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    # Content-addressed bytes never change under an id.
    "Cache-Control": "private, max-age=31536000, immutable",
    "Accept-Ranges": "bytes",
    # Opened directly, a file cannot run script or load anything.
    "Content-Security-Policy": "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; "
    "sandbox",
    "Cross-Origin-Resource-Policy": "same-origin",
}
_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "The bytes", "content": {"application/octet-stream": {}}},
    206: {"description": "The requested range (Range: bytes=start-end)"},
    304: {"description": "Not modified (If-None-Match)"},
    401: {"description": "Neither a signature nor a bearer token"},
    404: {"description": "Unknown, not yours to see, or a bad or expired signature (one answer for all)"},
    416: {"description": "Range not satisfiable"},
}


@dataclass(frozen=True, slots=True)
class _Stored:
    sha256: str
    mime: str
    name: str
    inline: bool


def _not_found() -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND)


@router.get("/{media_id}", responses=_RESPONSES, response_class=Response)
async def download(
    media_id: str,
    request: Request,
    views: ViewsDep,
    store: EventReaderDep,
    signer: SignerDep,
    storage: StorageDep,
    exp: Annotated[int | None, Query(ge=0, le=2**53, description="Expiry of a signed URL (unix seconds)")] = None,
    sig: Annotated[str | None, Query(max_length=128, description="Signature of a signed URL")] = None,
) -> Response:
    """The upload's bytes (Range supported), with the bearer token or a signed URL from a message."""
    stored = await _authorised(request, media_id, "original", views, store, signer, exp, sig)
    return await _serve(request, stored, storage)


@router.get("/{media_id}/thumbnail", responses=_RESPONSES, response_class=Response)
async def thumbnail(
    media_id: str,
    request: Request,
    views: ViewsDep,
    store: EventReaderDep,
    signer: SignerDep,
    storage: StorageDep,
    exp: Annotated[int | None, Query(ge=0, le=2**53, description="Expiry of a signed URL (unix seconds)")] = None,
    sig: Annotated[str | None, Query(max_length=128, description="Signature of a signed URL")] = None,
) -> Response:
    """An image upload's thumbnail (WebP, at most 480 px), with the bearer token or a signed URL."""
    stored = await _authorised(request, media_id, "thumbnail", views, store, signer, exp, sig)
    return await _serve(request, stored, storage)


async def _authorised(
    request: Request,
    media_id: str,
    variant: Variant,
    views: ViewsDep,
    store: EventReaderDep,
    signer: SignerDep,
    exp: int | None,
    sig: str | None,
) -> _Stored:
    well_formed = is_media_id(media_id)
    signed = exp is not None and sig is not None and well_formed and signer.verify(media_id, variant, exp, sig)
    user_id: str | None = None
    if not signed:
        if (exp is not None or sig is not None) and "authorization" not in request.headers:
            raise _not_found()  # a tampered or expired link
        user_id = await authenticated_user_id(request)  # 401 without a token
    if not well_formed:
        raise _not_found()
    doc = await views[MEDIA].find_one({"_id": media_id})
    if doc is None or "sha256" not in doc:
        if not signed:
            raise _not_found()
        # A URL we signed names a real upload; the view may just lag behind the log.
        event = await store.last_event(media_stream(media_id))
        if event is None or event.type != MediaUploaded.event_type:
            raise _not_found()
        doc = {**event.data, "viewers": []}
    elif user_id is not None and user_id not in doc.get("viewers", []):
        raise _not_found()
    return _variant(doc, variant)


def _variant(doc: dict[str, Any], variant: Variant) -> _Stored:
    if variant == "thumbnail":
        if not doc.get("thumbnail_sha256"):
            raise _not_found()
        stem = str(doc["name"]).rsplit(".", 1)[0] or "image"
        return _Stored(doc["thumbnail_sha256"], "image/webp", f"{stem}-thumbnail.webp", inline=True)
    return _Stored(doc["sha256"], doc["mime"], doc["name"], inline=doc["kind"] in _INLINE_KINDS)


def content_disposition(name: str, *, inline: bool) -> str:
    """``inline``/``attachment`` with an ASCII fallback name and the exact name as RFC 5987 ``filename*``."""
    fallback = "".join(c if 0x20 <= ord(c) < 0x7F and c not in '"\\;/%' else "_" for c in name).strip() or "file"
    return f"{'inline' if inline else 'attachment'}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def parse_range(header: str, size: int) -> tuple[int, int] | None:
    """The one byte range of ``Range: bytes=a-b`` as (start, end inclusive); None to serve everything.

    Raises 416 for a range that cannot be satisfied. Multiple ranges are answered with the whole file (allowed).
    """
    unit, _, spec = header.partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    first, dash, last = (part.strip() for part in spec.partition("-"))
    if not dash or not (first or last) or (first and not first.isdigit()) or (last and not last.isdigit()):
        raise _unsatisfiable(size)
    if not first:  # the last N bytes
        length = int(last)
        if length == 0 or size == 0:
            raise _unsatisfiable(size)
        return max(0, size - length), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or end < start:
        raise _unsatisfiable(size)
    return start, end


def _unsatisfiable(size: int) -> HTTPException:
    return HTTPException(
        status.HTTP_416_RANGE_NOT_SATISFIABLE, "range not satisfiable", headers={"Content-Range": f"bytes */{size}"}
    )


async def _serve(request: Request, stored: _Stored, storage: StorageDep) -> Response:
    size = await storage.size(stored.sha256)
    if size is None:
        raise _not_found()
    etag = f'"{stored.sha256}"'
    mime = f"{stored.mime}; charset=utf-8" if stored.mime.startswith("text/") else stored.mime
    headers = {
        **_HEADERS,
        "ETag": etag,
        "Content-Disposition": content_disposition(stored.name, inline=stored.inline),
    }
    if etag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    range_header = request.headers.get("range")
    span = parse_range(range_header, size) if range_header else None
    if span is None:
        headers["Content-Length"] = str(size)
        return StreamingResponse(storage.read(stored.sha256, 0, size), media_type=mime, headers=headers)
    start, end = span
    headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    headers["Content-Length"] = str(end - start + 1)
    return StreamingResponse(
        storage.read(stored.sha256, start, end - start + 1),
        status_code=status.HTTP_206_PARTIAL_CONTENT,
        media_type=mime,
        headers=headers,
    )

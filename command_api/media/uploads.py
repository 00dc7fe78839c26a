"""Receiving an upload: the multipart body is parsed as it streams in, the file part written to a staging file.

Nothing is buffered whole: each chunk goes to disk (and into the sha256) as it arrives, and the upload is refused
with 413 the moment the file passes the limit, without reading the rest. The body as a whole is capped too
(limit + 64 KiB of multipart framing), so a stream of junk parts cannot run forever either.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from fastapi import HTTPException, Request, status
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect

from shared.storage import MediaStorage

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks

FRAMING_ALLOWANCE = 64 * 1024
FIELD = "file"
_FLUSH_BYTES = 1024 * 1024


@dataclass
class ReceivedFile:
    path: Path
    size: int
    sha256: str
    filename: str | None


def too_large(limit: int) -> HTTPException:
    return HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, f"the file is larger than the limit of {limit} bytes")


def _invalid(detail: str) -> HTTPException:
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail)


@dataclass
class _Parts:
    """The parser's callbacks' state: which part we are in, and the file part's pending bytes."""

    limit: int
    headers: dict[str, str] = field(default_factory=dict)
    header_field: bytearray = field(default_factory=bytearray)
    header_value: bytearray = field(default_factory=bytearray)
    in_file: bool = False
    files: int = 0
    filename: str | None = None
    size: int = 0
    pending: bytearray = field(default_factory=bytearray)
    ended: bool = False

    def callbacks(self) -> MultipartCallbacks:
        return {
            "on_part_begin": self.part_begin,
            "on_header_field": lambda data, start, end: self.header_field.extend(data[start:end]),
            "on_header_value": lambda data, start, end: self.header_value.extend(data[start:end]),
            "on_header_end": self.header_end,
            "on_headers_finished": self.headers_finished,
            "on_part_data": self.part_data,
            "on_part_end": self.part_end,
            "on_end": self.end,
        }

    def part_begin(self) -> None:
        self.headers = {}
        self.in_file = False

    def header_end(self) -> None:
        name = self.header_field.decode("latin-1").strip().lower()
        self.headers[name] = self.header_value.decode("latin-1")
        self.header_field.clear()
        self.header_value.clear()

    def headers_finished(self) -> None:
        _, options = parse_options_header(self.headers.get("content-disposition", ""))
        if options.get(b"name", b"").decode("latin-1") != FIELD:
            return
        self.files += 1
        if self.files > 1:
            raise _invalid("send one file per upload")
        self.in_file = True
        raw = options.get(b"filename")
        # Browsers send the name as UTF-8 bytes inside the quoted parameter, with ", CR and LF escaped (HTML spec).
        self.filename = _unescape(raw.decode("utf-8", "replace")) if raw is not None else None

    def part_data(self, data: bytes, start: int, end: int) -> None:
        if not self.in_file:
            return
        self.size += end - start
        if self.size > self.limit:
            raise too_large(self.limit)
        self.pending.extend(data[start:end])

    def part_end(self) -> None:
        self.in_file = False

    def end(self) -> None:
        self.ended = True


def _unescape(filename: str) -> str:
    return filename.replace("%22", '"').replace("%0D", "\r").replace("%0A", "\n")


def _write(out: BinaryIO, digest: Any, data: bytes) -> None:
    out.write(data)
    digest.update(data)


async def receive_file(request: Request, storage: MediaStorage, *, limit: int) -> ReceivedFile:
    """Stream the multipart field ``file`` of ``request`` into a staging file of ``storage``.

    413 past ``limit`` bytes; 422 for a body that is not multipart, has no (or more than one) ``file`` part, or
    stops early. On any error the staging file is removed.
    """
    content_type, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        raise _invalid("send the file as multipart/form-data in the field 'file'")
    parts = _Parts(limit=limit)
    try:
        parser = MultipartParser(boundary, parts.callbacks())
    except FormParserError:
        raise _invalid("invalid multipart boundary") from None
    out, path = storage.staging_file()
    digest = hashlib.sha256()
    received = 0
    try:
        try:
            async for chunk in request.stream():
                received += len(chunk)
                if received > limit + FRAMING_ALLOWANCE:
                    raise too_large(limit)
                parser.write(chunk)
                if len(parts.pending) >= _FLUSH_BYTES:
                    data = bytes(parts.pending)
                    parts.pending.clear()
                    await asyncio.to_thread(_write, out, digest, data)
            parser.finalize()
        except FormParserError:
            raise _invalid("the multipart body is malformed") from None
        except ClientDisconnect:
            raise HTTPException(status.HTTP_400_BAD_REQUEST, "the upload was interrupted") from None
        if not parts.ended:
            raise _invalid("the multipart body ended early")
        if parts.files == 0:
            raise _invalid("the upload has no 'file' field")
        data = bytes(parts.pending)
        parts.pending.clear()
        await asyncio.to_thread(_write, out, digest, data)
        await asyncio.to_thread(out.close)
    except BaseException:
        out.close()
        await asyncio.to_thread(path.unlink, missing_ok=True)
        raise
    return ReceivedFile(path=path, size=parts.size, sha256=digest.hexdigest(), filename=parts.filename)

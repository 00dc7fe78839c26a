"""Just enough of two container formats to tell what kind of tracks a file holds, without decoding anything.

MP4 (ISO base media): the handler type of each track in ``moov`` (``vide``, ``soun``), found by seeking from box
header to box header, wherever ``moov`` is (cameras write it last). WebM (EBML): the DocType and the TrackType of
each track entry in the first bytes (MediaRecorder writes tracks before the first cluster).
"""

from __future__ import annotations

import io
import struct
from typing import BinaryIO

_MP4_CONTAINERS = {b"moov", b"trak", b"mdia"}


def mp4_handlers(f: BinaryIO, max_boxes: int = 10_000) -> set[str]:
    """The handler types (``vide``, ``soun``, ...) of the tracks in ``moov``, walking box headers by seeking."""
    end = f.seek(0, io.SEEK_END)
    handlers: set[str] = set()
    budget = [max_boxes]

    def walk(start: int, stop: int) -> None:
        position = start
        while position + 8 <= stop and budget[0] > 0:
            budget[0] -= 1
            f.seek(position)
            header = f.read(8)
            if len(header) < 8:
                return
            size, kind = struct.unpack(">I4s", header)
            body = position + 8
            if size == 1:
                large = f.read(8)
                if len(large) < 8:
                    return
                size = struct.unpack(">Q", large)[0]
                body += 8
            elif size == 0:
                size = stop - position
            if size < body - position or position + size > stop:
                return
            if kind in _MP4_CONTAINERS:
                walk(body, position + size)
            elif kind == b"hdlr" and size >= body - position + 12:
                f.seek(body + 8)  # version and flags, pre_defined
                handlers.add(f.read(4).decode("latin-1"))
            position += size

    walk(0, end)
    return handlers


def _vint(data: bytes, at: int, *, keep_marker: bool) -> tuple[int, int]:
    """An EBML variable-length integer at ``at``: (value, length). Unknown sizes come back as -1."""
    if at >= len(data):
        raise IndexError(at)
    first = data[at]
    length = 1
    while length <= 8 and not first & (0x80 >> (length - 1)):
        length += 1
    if length > 8 or at + length > len(data):
        raise IndexError(at)
    value = first if keep_marker else first & (0xFF >> length)
    for b in data[at + 1 : at + length]:
        value = (value << 8) | b
    if not keep_marker and value == (1 << (7 * length)) - 1:
        return -1, length
    return value, length


def _ebml_children(data: bytes, start: int, stop: int) -> list[tuple[int, int, int]]:
    """(id, data start, data end) of the elements between ``start`` and ``stop`` (unknown sizes run to ``stop``)."""
    found = []
    at = start
    try:
        while at < stop:
            element, id_len = _vint(data, at, keep_marker=True)
            size, size_len = _vint(data, at + id_len, keep_marker=False)
            body = at + id_len + size_len
            end = stop if size < 0 else min(stop, body + size)
            found.append((element, body, end))
            if size < 0 or element == _CLUSTER:
                break
            at = body + size
    except IndexError:
        pass
    return found


_EBML_DOCTYPE = 0x4282
_SEGMENT = 0x18538067
_TRACKS = 0x1654AE6B
_TRACK_ENTRY = 0xAE
_TRACK_TYPE = 0x83
_CLUSTER = 0x1F43B675


def webm_tracks(head: bytes) -> tuple[bytes, set[int]]:
    """The DocType (``webm``, ``matroska``) and the track types (1 video, 2 audio) seen in ``head``."""
    top = _ebml_children(head, 0, len(head))
    if not top:
        return b"", set()
    _, header_start, header_end = top[0]
    doctype = next(
        (head[s:e].rstrip(b"\0") for i, s, e in _ebml_children(head, header_start, header_end) if i == _EBML_DOCTYPE),
        b"",
    )
    track_types: set[int] = set()
    # The segment follows the header; MediaRecorder writes it with an unknown size, tracks before any cluster.
    for element, start, end in _ebml_children(head, header_end, len(head)):
        if element != _SEGMENT:
            continue
        for child, cstart, cend in _ebml_children(head, start, end):
            if child != _TRACKS:
                continue
            for entry, estart, eend in _ebml_children(head, cstart, cend):
                if entry != _TRACK_ENTRY:
                    continue
                for field, fstart, fend in _ebml_children(head, estart, eend):
                    if field == _TRACK_TYPE and fend > fstart:
                        track_types.add(int.from_bytes(head[fstart:fend], "big"))
    return doctype, track_types

"""What an upload is, decided from its bytes only (never its name or the browser's Content-Type).

``filetype`` recognises the signatures; containers it cannot tell apart are looked into here: MP4 (video or audio
track?), WebM (audio-only recordings), ZIP (Word, Excel, PowerPoint or a plain archive), and text (valid UTF-8
that is not markup). Anything not on the allow list is refused with 415; an allowed type whose structure is broken
with 422.
"""

from __future__ import annotations

import codecs
import csv
import re
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import filetype

from command_api.domain.media import damaged, unsupported
from command_api.media.containers import mp4_handlers, webm_tracks
from shared.events import MediaKind

HEAD_BYTES = 64 * 1024
_TEXT_CHUNK = 1024 * 1024

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"

# Every type accepted, its kind, and the extension of a name made up when the user's name is empty.
ACCEPTED: dict[str, tuple[MediaKind, str]] = {
    "image/jpeg": ("image", "jpg"),
    "image/png": ("image", "png"),
    "image/webp": ("image", "webp"),
    "image/gif": ("image", "gif"),
    "video/mp4": ("video", "mp4"),
    "video/webm": ("video", "webm"),
    "audio/mpeg": ("audio", "mp3"),
    "audio/ogg": ("audio", "ogg"),
    "audio/wav": ("audio", "wav"),
    "audio/mp4": ("audio", "m4a"),
    "audio/aac": ("audio", "aac"),
    "audio/webm": ("audio", "webm"),
    "application/pdf": ("file", "pdf"),
    "text/plain": ("file", "txt"),
    "text/csv": ("file", "csv"),
    DOCX: ("file", "docx"),
    XLSX: ("file", "xlsx"),
    PPTX: ("file", "pptx"),
    "application/zip": ("file", "zip"),
}

# filetype's answers that are accepted as they are (mapped to the MIME we serve).
_DIRECT = {
    "image/jpeg": "image/jpeg",
    "image/png": "image/png",
    "image/apng": "image/png",  # an animated PNG is a PNG
    "image/webp": "image/webp",
    "image/gif": "image/gif",
    "audio/mpeg": "audio/mpeg",
    "audio/ogg": "audio/ogg",
    "audio/x-wav": "audio/wav",
    "audio/aac": "audio/aac",
    "application/pdf": "application/pdf",
}
_ZIPS = {"application/zip", DOCX, XLSX, PPTX, "application/epub+zip"}
_EXECUTABLES = {
    "application/x-executable",
    "application/x-msdownload",
    "application/x-mach-binary",
    "application/x-sharedlib",
    "application/vnd.microsoft.portable-executable",
    "application/x-elf",
    "application/wasm",
    "application/x-shockwave-flash",
}
# Signatures refused before anything else: ELF, Mach-O (both byte orders, and fat/Java class), wasm, dex.
_EXECUTABLE_MAGIC = (
    b"\x7fELF",
    b"\xfe\xed\xfa\xce",
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",
    b"\x00asm",
    b"dex\n",
)
EXECUTABLE = "executable files are not accepted"
MARKUP = "HTML, SVG and XML files are not accepted"

_MP4_BRANDS = {
    *(f"iso{n}" for n in "m23456789"),
    "mp41",
    "mp42",
    "mp71",
    "avc1",
    "dash",
    "M4V ",
    "M4A ",
    "M4B ",
    "M4P ",
    "f4v ",
    "MSNV",
}
_AUDIO_BRANDS = {"M4A ", "M4B ", "M4P "}
_HEIF_BRANDS = {"heic", "heix", "heim", "heis", "hevc", "hevx", "mif1", "msf1", "avif", "avis"}


@dataclass(frozen=True, slots=True)
class Sniffed:
    mime: str
    kind: MediaKind

    @property
    def extension(self) -> str:
        return ACCEPTED[self.mime][1]


def _accepted(mime: str) -> Sniffed:
    return Sniffed(mime, ACCEPTED[mime][0])


def sniff(path: Path) -> Sniffed:
    """The accepted type of the file at ``path``; raises ``MediaRefused`` (415 or 422) otherwise."""
    with open(path, "rb") as f:
        head = f.read(HEAD_BYTES)
        if not head:
            raise damaged("the file is empty")
        if head.startswith(_EXECUTABLE_MAGIC):
            raise unsupported(EXECUTABLE)
        if head[4:8] == b"ftyp":
            return _iso_media(f, head)
        if head.startswith(b"\x1a\x45\xdf\xa3"):
            return _matroska(head)
        guess = filetype.guess(head)
        if guess is not None:
            mime = str(guess.mime)
            if mime in _DIRECT:
                return _accepted(_DIRECT[mime])
            if mime in _ZIPS:
                return _zip(f)
            if mime in _EXECUTABLES:
                raise unsupported(EXECUTABLE)
            raise unsupported(f"{mime} files are not accepted")
        return _text(f, head)


# -- MP4 / ISO base media ---------------------------------------------------------------------------------------


def _iso_media(f: BinaryIO, head: bytes) -> Sniffed:
    size = struct.unpack(">I", head[:4])[0]
    if size < 16 or size > len(head):
        raise unsupported("this file type is not accepted")
    major = head[8:12].decode("latin-1")
    brands = {major} | {head[i : i + 4].decode("latin-1") for i in range(16, size - 3, 4)}
    if major == "qt  ":
        raise unsupported("QuickTime (.mov) videos are not accepted; send MP4 or WebM")
    if major.startswith("3g"):
        raise unsupported("3GP videos are not accepted; send MP4 or WebM")
    if major in _HEIF_BRANDS or (brands & _HEIF_BRANDS and not brands & _MP4_BRANDS):
        raise unsupported("HEIC and AVIF images are not accepted; send JPG, PNG, WebP or GIF")
    if not brands & _MP4_BRANDS:
        raise unsupported("this MP4 variant is not accepted")
    handlers = mp4_handlers(f)
    if "vide" in handlers:
        return _accepted("video/mp4")
    if "soun" in handlers or major in _AUDIO_BRANDS:
        return _accepted("audio/mp4")
    return _accepted("video/mp4")


# -- WebM / Matroska --------------------------------------------------------------------------------------------


def _matroska(head: bytes) -> Sniffed:
    doctype, track_types = webm_tracks(head)
    if doctype != b"webm":
        raise unsupported("Matroska (.mkv) files are not accepted; send MP4 or WebM")
    if 2 in track_types and 1 not in track_types:
        return _accepted("audio/webm")
    return _accepted("video/webm")


# -- ZIP and Office ---------------------------------------------------------------------------------------------


def _zip(f: BinaryIO) -> Sniffed:
    f.seek(0)
    try:
        with zipfile.ZipFile(f) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise damaged("the ZIP archive is damaged") from None
    lower = {n.lower() for n in names}
    if "classes.dex" in lower or "androidmanifest.xml" in lower:
        raise unsupported(EXECUTABLE)
    if "meta-inf/manifest.mf" in lower and any(n.endswith(".class") for n in lower):
        raise unsupported(EXECUTABLE)
    if "[content_types].xml" in lower:
        for prefix, mime in (("word/", DOCX), ("xl/", XLSX), ("ppt/", PPTX)):
            if any(n.startswith(prefix) for n in lower):
                if f"{prefix}vbaproject.bin" in lower:
                    raise unsupported("documents with macros are not accepted")
                return _accepted(mime)
    return _accepted("application/zip")


# -- text -------------------------------------------------------------------------------------------------------

# C0 controls other than tab, newline, form feed and carriage return; DEL. Text has none of these.
_BINARY = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_TAG_START = re.compile(r"<[!?/a-zA-Z]")
_MARKUP = re.compile(
    r"<\s*(!doctype|html|head|body|script|svg|iframe|object|embed|\?xml|meta|style|link|xml|math)\b", re.I
)


def _text(f: BinaryIO, head: bytes) -> Sniffed:
    """UTF-8 text (all of it) that is neither markup nor a script; CSV when its first lines are regular records."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="strict")
    f.seek(0)
    first = ""
    try:
        while chunk := f.read(_TEXT_CHUNK):
            text = decoder.decode(chunk)
            if _BINARY.search(text):
                raise unsupported("this file type is not accepted")
            if not first:
                first = text
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise unsupported("this file type is not accepted") from None
    start = first.lstrip("\ufeff \t\r\n\f")
    if _TAG_START.match(start) or _MARKUP.search(first[:4096]):
        raise unsupported(MARKUP)
    if start.startswith("#!"):
        raise unsupported(EXECUTABLE)
    return _accepted("text/csv" if _looks_like_csv(first[:HEAD_BYTES]) else "text/plain")


def _looks_like_csv(text: str) -> bool:
    lines = [line for line in text.splitlines()[:21] if line.strip()]
    if len(text) >= HEAD_BYTES:
        lines = lines[:-1]  # the last one may be cut
    if len(lines) < 2:
        return False
    for delimiter in (",", ";", "\t"):
        try:
            widths = {len(row) for row in csv.reader(lines, delimiter=delimiter)}
        except csv.Error:
            continue
        if len(widths) == 1 and widths.pop() >= 2:
            return True
    return False

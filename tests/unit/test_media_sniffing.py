"""Uploads without services: their type told by their bytes (what is accepted, what is refused), their names."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from command_api.domain.media import MediaRefused, sanitize_name
from command_api.media.sniffing import DOCX, PPTX, XLSX, sniff
from tests import media_samples as s
from tests.unit.media_helpers import _file

# -- sniffing ----------------------------------------------------------------------------------------------------

ACCEPTED: list[tuple[str, Callable[[], bytes], str, str]] = [
    ("jpeg", lambda: s.image("JPEG"), "image/jpeg", "image"),
    ("png", lambda: s.image("PNG"), "image/png", "image"),
    ("webp", lambda: s.image("WEBP"), "image/webp", "image"),
    ("gif", lambda: s.image("GIF"), "image/gif", "image"),
    ("animated gif", s.animated_gif, "image/gif", "image"),
    ("animated png", s.animated_png, "image/png", "image"),
    ("mp4 (moov at the end)", s.mp4_video, "video/mp4", "video"),
    ("webm video", lambda: s.webm(1, 2), "video/webm", "video"),
    ("webm, audio only", lambda: s.webm(2), "audio/webm", "audio"),
    ("webm without tracks in view", lambda: s.webm(), "video/webm", "video"),
    ("m4a", s.m4a, "audio/mp4", "audio"),
    ("mp4 brand, sound track only", lambda: s.mp4(b"soun"), "audio/mp4", "audio"),
    ("mp3", s.mp3, "audio/mpeg", "audio"),
    ("aac", s.aac, "audio/aac", "audio"),
    ("ogg", s.ogg, "audio/ogg", "audio"),
    ("wav", s.wav, "audio/wav", "audio"),
    ("pdf", s.pdf, "application/pdf", "file"),
    ("docx", s.docx, DOCX, "file"),
    ("xlsx", s.xlsx, XLSX, "file"),
    ("pptx", s.pptx, PPTX, "file"),
    ("zip", lambda: s.zip_of({"notes/a.txt": b"a", "b.exe": b"MZ"}), "application/zip", "file"),
    ("txt", lambda: s.TEXT, "text/plain", "file"),
    ("txt with BOM", lambda: b"\xef\xbb\xbf" + s.TEXT, "text/plain", "file"),
    ("txt starting with <3", lambda: b"<3 you\n", "text/plain", "file"),
    ("csv", lambda: s.CSV, "text/csv", "file"),
    ("csv with semicolons", lambda: b"a;b;c\n1;2;3\n4;5;6\n", "text/csv", "file"),
]

REFUSED: list[tuple[str, Callable[[], bytes], int, str]] = [
    ("html", lambda: s.HTML, 415, "HTML"),
    ("html after some words", lambda: s.HTML_LATE, 415, "HTML"),
    ("svg", lambda: s.SVG, 415, "SVG"),
    ("bare svg", lambda: s.SVG_BARE, 415, "SVG"),
    ("xml", lambda: b'<?xml version="1.0"?><note/>', 415, "XML"),
    ("elf", lambda: s.ELF, 415, "executable"),
    ("pe", lambda: s.PE, 415, "executable"),
    ("mach-o", lambda: s.MACHO, 415, "executable"),
    ("shell script", lambda: s.SCRIPT, 415, "executable"),
    ("jar", lambda: s.zip_of({"META-INF/MANIFEST.MF": b"x", "a/B.class": b"\xca\xfe"}), 415, "executable"),
    ("apk", lambda: s.zip_of({"AndroidManifest.xml": b"x", "classes.dex": b"dex\n"}), 415, "executable"),
    ("docm", lambda: s.office("word", "word/vbaProject.bin"), 415, "macros"),
    ("binary garbage", lambda: s.BINARY, 415, "not accepted"),
    ("latin-1 text", lambda: "café".encode("latin-1") * 3, 415, "not accepted"),
    ("bmp", lambda: s.image("BMP"), 415, "image/bmp"),
    ("tiff", lambda: s.image("TIFF"), 415, "image/tiff"),
    ("quicktime", s.quicktime, 415, "QuickTime"),
    ("matroska", lambda: s.webm(1, doctype=b"matroska"), 415, "Matroska"),
    ("broken zip", lambda: b"PK\x03\x04" + b"\0" * 100, 422, "damaged"),
    ("empty", lambda: b"", 422, "empty"),
]


@pytest.mark.parametrize(("label", "make", "mime", "kind"), ACCEPTED, ids=[a[0] for a in ACCEPTED])
def test_accepted_types_are_told_by_their_bytes(
    tmp_path: Path, label: str, make: Callable[[], bytes], mime: str, kind: str
) -> None:
    # The name says .exe: it does not matter.
    sniffed = sniff(_file(tmp_path, make(), "innocent.exe"))
    assert (sniffed.mime, sniffed.kind) == (mime, kind)


@pytest.mark.parametrize(("label", "make", "status", "detail"), REFUSED, ids=[r[0] for r in REFUSED])
def test_refused_types(tmp_path: Path, label: str, make: Callable[[], bytes], status: int, detail: str) -> None:
    with pytest.raises(MediaRefused) as refused:
        sniff(_file(tmp_path, make(), "photo.png"))
    assert refused.value.status == status
    assert detail in refused.value.detail


def test_text_is_checked_to_the_end(tmp_path: Path) -> None:
    # Valid text for 2 MB, then a byte that is not UTF-8: not text.
    with pytest.raises(MediaRefused):
        sniff(_file(tmp_path, b"a" * 2_000_000 + b"\xff"))
    with pytest.raises(MediaRefused):
        sniff(_file(tmp_path, b"a" * 2_000_000 + b"\x00"))


# -- names -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("holiday.jpg", "holiday.jpg"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\me\\report.pdf", "report.pdf"),
        ("  .hidden.txt  ", "hidden.txt"),
        ("a\x00b\x07c\nd.txt", "abcd.txt"),
        ("photo\u202egnp.exe", "photognp.exe"),
        ("", "file.bin"),
        (None, "file.bin"),
        ("../", "file.bin"),
        ("e\u0301t\u00e9.txt", "\u00e9t\u00e9.txt"),
        ("😀 smile.png", "😀 smile.png"),
    ],
)
def test_names_are_sanitised(raw: str | None, expected: str) -> None:
    assert sanitize_name(raw, fallback="file.bin") == expected


def test_long_names_are_trimmed_keeping_the_extension() -> None:
    name = sanitize_name("x" * 500 + ".pdf", fallback="f")
    assert len(name) == 200 and name.endswith(".pdf")
    assert len(sanitize_name("y" * 500, fallback="f")) == 200

"""Media without services: sniffing, names, signed URLs, ranges, image processing and the attach decisions."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from command_api.domain.media import MediaRefused, attach_media, avatar_upload, sanitize_name, upload_media
from command_api.domain.profile import UpdateProfile, fold, update_profile
from command_api.domain.rules import DecisionError
from command_api.media.imaging import ImageLimits, process_image
from command_api.media.sniffing import DOCX, PPTX, XLSX, sniff
from query_api.routes.media import content_disposition, parse_range
from shared.events import Envelope, MediaUploaded, UserProfileUpdated, UserRegistered
from shared.media_urls import MediaSigner
from shared.storage import DiskStorage
from tests import media_samples as s

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


def _file(tmp_path: Path, data: bytes, name: str = "upload.bin") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


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


# -- signed URLs -------------------------------------------------------------------------------------------------

MEDIA_ID = "0123456789abcdef0123456789abcdef"
NOW = 1_800_000_000


def _parts(url: str) -> tuple[str, int, str]:
    path, _, query = url.partition("?")
    params = dict(p.split("=", 1) for p in query.split("&"))
    return path, int(params["exp"]), params["sig"]


def test_signed_urls_verify_until_they_expire() -> None:
    signer = MediaSigner.from_secret("s" * 40, ttl_seconds=3600)
    path, exp, sig = _parts(signer.url(MEDIA_ID, now=NOW))
    assert path == f"/api/media/{MEDIA_ID}"
    assert NOW + 3600 <= exp <= NOW + 7200
    assert signer.verify(MEDIA_ID, "original", exp, sig, now=NOW)
    assert signer.verify(MEDIA_ID, "original", exp, sig, now=exp)
    assert not signer.verify(MEDIA_ID, "original", exp, sig, now=exp + 1)
    # Within one TTL window the URL is the same string (browser caches hit).
    assert signer.url(MEDIA_ID, now=NOW) == signer.url(MEDIA_ID, now=NOW + 1)


def test_signatures_bind_id_variant_expiry_and_key() -> None:
    signer = MediaSigner.from_secret("s" * 40, ttl_seconds=3600)
    _, exp, sig = _parts(signer.url(MEDIA_ID, now=NOW))
    other_id = "f" * 32
    assert not signer.verify(other_id, "original", exp, sig, now=NOW)
    assert not signer.verify(MEDIA_ID, "thumbnail", exp, sig, now=NOW)
    assert not signer.verify(MEDIA_ID, "original", exp + 3600, sig, now=NOW)
    assert not signer.verify(MEDIA_ID, "original", exp, sig[:-1] + ("0" if sig[-1] != "0" else "1"), now=NOW)
    assert not MediaSigner.from_secret("t" * 40, 3600).verify(MEDIA_ID, "original", exp, sig, now=NOW)
    thumb_path, texp, tsig = _parts(signer.url(MEDIA_ID, "thumbnail", now=NOW))
    assert thumb_path.endswith("/thumbnail") and signer.verify(MEDIA_ID, "thumbnail", texp, tsig, now=NOW)


def test_message_payloads_get_urls_and_others_are_untouched() -> None:
    signer = MediaSigner.from_secret("s" * 40, ttl_seconds=60)
    text = {"id": "m1", "type": "text", "media": None}
    assert signer.message(text) is text
    meta = {"id": MEDIA_ID, "name": "a.png", "size": 1, "mime": "image/png", "kind": "image", "width": 1, "height": 1}
    served = signer.message({"id": "m2", "type": "image", "media": meta}, now=NOW)
    assert served["media"]["url"].startswith(f"/api/media/{MEDIA_ID}?exp=")
    assert served["media"]["thumbnail_url"].startswith(f"/api/media/{MEDIA_ID}/thumbnail?exp=")
    assert "url" not in meta  # the stored payload is not changed
    document = signer.media({**meta, "kind": "file", "mime": "application/pdf"}, now=NOW)
    assert document is not None and document["thumbnail_url"] is None
    assert signer.avatar(None) is None
    assert "/thumbnail?" in str(signer.avatar(MEDIA_ID))


# -- download headers --------------------------------------------------------------------------------------------


def test_content_disposition_is_safe_and_keeps_the_exact_name() -> None:
    header = content_disposition('évil";\r\nX-Injected: 1/..\\report.pdf', inline=False)
    assert header.startswith('attachment; filename="')
    assert "\r" not in header and "\n" not in header
    ascii_part = header.split('filename="', 1)[1].split('"', 1)[0]
    assert all(32 <= ord(c) < 127 for c in ascii_part) and '"' not in ascii_part and "\\" not in ascii_part
    assert "filename*=UTF-8''%C3%A9vil%22%3B%0D%0AX-Injected%3A%201%2F..%5Creport.pdf" in header
    assert content_disposition("a.png", inline=True).startswith('inline; filename="a.png"')


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=0-99", (0, 99)),
        ("bytes=100-", (100, 999)),
        ("bytes=-10", (990, 999)),
        ("bytes=990-5000", (990, 999)),
        ("bytes=0-0", (0, 0)),
        ("bytes=-5000", (0, 999)),
        ("bytes=0-1,5-6", None),  # several ranges: the whole file is a valid answer
        ("items=0-1", None),
    ],
)
def test_ranges(header: str, expected: tuple[int, int] | None) -> None:
    assert parse_range(header, 1000) == expected


@pytest.mark.parametrize(
    "header", ["bytes=1000-", "bytes=5000-6000", "bytes=50-10", "bytes=-0", "bytes=x-y", "bytes=-"]
)
def test_unsatisfiable_ranges_are_416(header: str) -> None:
    with pytest.raises(Exception) as error:
        parse_range(header, 1000)
    assert getattr(error.value, "status_code", None) == 416
    assert error.value.headers == {"Content-Range": "bytes */1000"}  # type: ignore[attr-defined]


# -- images ------------------------------------------------------------------------------------------------------


def _process(tmp_path: Path, data: bytes, mime: str, max_pixels: int = 50_000_000) -> tuple[Any, Image.Image]:
    src, dst = _file(tmp_path, data, "in"), tmp_path / "out"
    result = process_image(src, dst, mime=mime, max_pixels=max_pixels)
    return result, Image.open(io.BytesIO(dst.read_bytes()))


def test_exif_location_is_removed_and_orientation_applied(tmp_path: Path) -> None:
    original = s.jpeg_with_gps((800, 600), orientation=6)
    assert s.GPS_MAKER.encode() in original
    result, served = _process(tmp_path, original, "image/jpeg")
    stored = (tmp_path / "out").read_bytes()
    assert (result.width, result.height) == (600, 800) == served.size  # turned upright
    assert dict(served.getexif()) == {}
    assert s.GPS_MAKER.encode() not in stored and b"taken at home" not in stored and b"Exif" not in stored
    thumb = Image.open(io.BytesIO(result.thumbnail))
    assert thumb.format == "WEBP" and max(thumb.size) <= 480 and thumb.size == (360, 480)


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_exif_is_removed_from_png_and_webp(tmp_path: Path, fmt: str) -> None:
    data = s.image(fmt, (300, 200), exif=s.exif_with_gps(1))
    assert s.GPS_MAKER.encode() in data
    _, served = _process(tmp_path, data, f"image/{fmt.lower()}")
    assert s.GPS_MAKER.encode() not in (tmp_path / "out").read_bytes()
    assert dict(served.getexif()) == {} and served.size == (300, 200)


def test_unrotated_jpeg_keeps_its_quality_tables(tmp_path: Path) -> None:
    data = s.image("JPEG", (320, 240), quality=40, exif=s.exif_with_gps(1))
    result, served = _process(tmp_path, data, "image/jpeg")
    assert served.quantization == Image.open(io.BytesIO(data)).quantization  # type: ignore[attr-defined]
    assert dict(served.getexif()) == {} and (result.width, result.height) == (320, 240)


def test_animated_png_keeps_its_frames(tmp_path: Path) -> None:
    _, served = _process(tmp_path, s.animated_png(3), "image/png")
    assert served.format == "PNG" and getattr(served, "n_frames", 1) == 3


def test_animations_keep_their_frames(tmp_path: Path) -> None:
    result, served = _process(tmp_path, s.animated_gif(3), "image/gif")
    assert getattr(served, "n_frames", 1) == 3 and served.info.get("duration") == 120
    assert b"hi" not in (tmp_path / "out").read_bytes()[-64:]  # the comment is gone
    assert Image.open(io.BytesIO(result.thumbnail)).format == "WEBP"


def test_a_multi_picture_jpeg_is_served_as_its_first_picture(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    left, right = Image.new("RGB", (64, 48), "red"), Image.new("RGB", (64, 48), "blue")
    left.save(buffer, "MPO", save_all=True, append_images=[right], exif=s.exif_with_gps(1))
    _, served = _process(tmp_path, buffer.getvalue(), "image/jpeg")
    assert served.format == "JPEG" and getattr(served, "n_frames", 1) == 1 and dict(served.getexif()) == {}


@pytest.mark.parametrize(
    ("data", "max_pixels", "detail"),
    [
        (s.png_bomb(), 50_000_000, "too many pixels"),  # Pillow's own bomb check
        (s.png_bomb(9000, 9000), 50_000_000, "too many pixels"),  # past our configured limit
        (s.image("PNG", (200, 200)), 10_000, "too many pixels"),
        (s.animated_gif(4, (100, 100)), 30_000, "too many frames"),
        (s.image("JPEG")[:300], 50_000_000, "damaged"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 50, 50_000_000, "damaged"),
    ],
    ids=["bomb", "over-limit", "small-limit", "animation", "truncated-jpeg", "garbage-png"],
)
def test_bad_images_are_refused_with_422(tmp_path: Path, data: bytes, max_pixels: int, detail: str) -> None:
    mime = "image/gif" if data.startswith(b"GIF") else "image/jpeg" if data.startswith(b"\xff\xd8") else "image/png"
    with pytest.raises(MediaRefused) as refused:
        _process(tmp_path, data, mime, max_pixels)
    assert refused.value.status == 422 and detail in refused.value.detail


# -- storage -----------------------------------------------------------------------------------------------------


async def test_disk_storage_is_content_addressed(tmp_path: Path) -> None:
    storage = DiskStorage(tmp_path / "media")
    sha = await storage.put_bytes(b"hello world")
    assert (tmp_path / "media" / sha[:2] / sha).read_bytes() == b"hello world"
    assert await storage.put_bytes(b"hello world") == sha  # stored once
    assert await storage.size(sha) == 11 and await storage.size("0" * 64) is None
    assert b"".join([c async for c in storage.read(sha, 6, 5)]) == b"world"
    with pytest.raises(ValueError):
        storage.path("../../etc/passwd")
    assert list((tmp_path / "media" / "tmp").iterdir()) == []


# -- decisions ---------------------------------------------------------------------------------------------------


def _uploaded(kind: str = "image", uploader: str = "alice") -> Envelope:
    new = upload_media(
        media_id=MEDIA_ID,
        uploader_id=uploader,
        sha256="a" * 64,
        name="cat.png",
        size=10,
        mime="image/png" if kind == "image" else "video/mp4",
        kind=kind,  # type: ignore[arg-type]
        width=4 if kind == "image" else None,
        height=3 if kind == "image" else None,
        thumbnail_sha256="b" * 64 if kind == "image" else None,
        correlation_id=None,
    )
    return _envelope(new.stream, 1, new.data.event_type, new.data.model_dump(mode="python"))


def _envelope(stream: str, version: int, kind: str, data: dict[str, Any]) -> Envelope:
    return Envelope(
        id=f"e{version}",
        type=kind,
        schema=1,
        stream=stream,
        stream_version=version,
        position=version,
        occurred_at=datetime(2026, 1, 1, tzinfo=UTC),
        actor_id=None,
        correlation_id=None,
        causation_id=None,
        data=data,
    )


def test_only_the_uploader_attaches_and_the_type_must_fit() -> None:
    image = _uploaded("image")
    meta = attach_media(image, sender_id="alice", message_type="image")
    assert meta == {
        "id": MEDIA_ID,
        "name": "cat.png",
        "size": 10,
        "mime": "image/png",
        "kind": "image",
        "width": 4,
        "height": 3,
    }
    assert attach_media(image, sender_id="alice", message_type="file") == meta
    for sender, message_type, detail in [
        ("bob", "image", "unknown media_id"),  # someone else's upload looks like a missing one
        ("alice", "video", "a video message needs a video upload; this one is an image"),
        ("alice", "audio", "an audio message needs an audio upload"),
    ]:
        with pytest.raises(DecisionError, match=detail):
            attach_media(image, sender_id=sender, message_type=message_type)  # type: ignore[arg-type]
    with pytest.raises(DecisionError, match="unknown media_id"):
        attach_media(None, sender_id="alice", message_type="image")
    assert attach_media(_uploaded("video"), sender_id="alice", message_type="video")["kind"] == "video"


def test_avatars_are_the_callers_images() -> None:
    assert avatar_upload(_uploaded("image"), user_id="alice") == MEDIA_ID
    with pytest.raises(DecisionError, match="must be an image"):
        avatar_upload(_uploaded("video"), user_id="alice")
    with pytest.raises(DecisionError, match="unknown media_id"):
        avatar_upload(_uploaded("image", uploader="bob"), user_id="alice")


def test_profile_updates_fold_and_decide() -> None:
    registered = _envelope(
        "user:u1",
        1,
        UserRegistered.event_type,
        {"user_id": "u1", "name": "Ada", "email": "a@x.io", "password_hash": "h"},
    )
    profile = fold([registered])
    assert profile is not None and profile.version == 1 and profile.avatar_media_id is None
    change = update_profile(
        profile, UpdateProfile(avatar_media_id=MEDIA_ID), avatar_media_id=MEDIA_ID, correlation_id=None
    )
    assert change is not None and isinstance(change.data, UserProfileUpdated)
    assert change.data.name == "Ada" and change.data.avatar_media_id == MEDIA_ID
    updated = fold([registered, _envelope("user:u1", 2, UserProfileUpdated.event_type, change.data.model_dump())])
    assert updated is not None and updated.avatar_media_id == MEDIA_ID and updated.version == 2
    # Renaming keeps the avatar; null removes it; no change decides nothing.
    renamed = update_profile(updated, UpdateProfile(name=" Ada L "), avatar_media_id=None, correlation_id=None)
    assert renamed is not None and renamed.data.model_dump() == {
        "user_id": "u1",
        "name": "Ada L",
        "avatar_media_id": MEDIA_ID,
    }
    removed = update_profile(
        updated, UpdateProfile.model_validate({"avatar_media_id": None}), avatar_media_id=None, correlation_id=None
    )
    assert removed is not None and removed.data.model_dump()["avatar_media_id"] is None
    assert update_profile(updated, UpdateProfile(), avatar_media_id=None, correlation_id=None) is None


def test_media_uploaded_is_registered() -> None:
    from shared.events import EVENT_TYPES

    assert EVENT_TYPES["MediaUploaded"] is MediaUploaded
    assert EVENT_TYPES["UserProfileUpdated"] is UserProfileUpdated


def test_urls_claiming_a_longer_life_than_we_sign_are_refused() -> None:
    # Same key, signed when the TTL was longer (or forged with a leaked key): more than two TTLs ahead is refused.
    _, exp, sig = _parts(MediaSigner.from_secret("s" * 40, ttl_seconds=12 * 3600).url(MEDIA_ID, now=NOW))
    assert exp > NOW + 2 * 3600
    assert not MediaSigner.from_secret("s" * 40, ttl_seconds=3600).verify(MEDIA_ID, "original", exp, sig, now=NOW)


def test_frames_and_time_per_image_are_bounded(tmp_path: Path) -> None:
    src = tmp_path / "in.gif"
    src.write_bytes(s.gif_frame_bomb(1001))
    with pytest.raises(MediaRefused, match="too many frames"):
        process_image(src, tmp_path / "out.gif", mime="image/gif", max_pixels=10**9)
    src.write_bytes(s.gif_frame_bomb(5))
    limits = ImageLimits(max_pixels=10**9, max_frames=4)
    with pytest.raises(MediaRefused, match="too many frames"):
        process_image(src, tmp_path / "out.gif", mime="image/gif", max_pixels=10**9, limits=limits)
    limits = ImageLimits(max_pixels=10**9, max_seconds=1e-9)
    with pytest.raises(MediaRefused, match="too long"):
        process_image(src, tmp_path / "out.gif", mime="image/gif", max_pixels=10**9, limits=limits)
    src.write_bytes(s.animated_gif())
    assert process_image(src, tmp_path / "out.gif", mime="image/gif", max_pixels=10**9).width == 64

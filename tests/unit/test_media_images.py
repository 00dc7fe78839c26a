"""Image processing without services: metadata removed, orientation applied, frames kept, bad images refused."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from command_api.domain.media import MediaRefused
from command_api.media.imaging import ImageLimits, process_image
from tests import media_samples as s
from tests.unit.media_helpers import _file

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

"""Images: decoded with Pillow (which proves they are images), re-encoded without metadata, and thumbnailed.

What is served is the re-encoded image, never the upload: EXIF (GPS position, camera, time), XMP and comments are
gone, and the EXIF orientation is applied to the pixels first so the picture still stands the right way up.
Animations keep their frames and timing. CPU-bound: call from a thread.

Bounded work per image: the pixel count (one frame, and all frames together), the frame count (a GIF's frames are
counted from its block structure before Pillow touches them: Pillow itself seeks through every frame to count them),
and the time spent re-encoding. Past any of them the upload is refused with 422, early.
"""

from __future__ import annotations

import hashlib
import io
import struct
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

from command_api.domain.media import damaged

THUMBNAIL_MAX = 480
_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP", "image/gif": "GIF"}
_EXIF_ORIENTATION = 0x0112


@dataclass(frozen=True, slots=True)
class ProcessedImage:
    sha256: str
    size: int
    width: int
    height: int
    thumbnail: bytes


@dataclass(frozen=True, slots=True)
class ImageLimits:
    """How much work one image may cost: pixels (per frame and over all frames), frames, and seconds."""

    max_pixels: int
    max_frames: int = 1000
    max_seconds: float = 10.0


def process_image(
    src: Path, dst: Path, *, mime: str, max_pixels: int, limits: ImageLimits | None = None
) -> ProcessedImage:
    """Decode the image at ``src`` (of the sniffed ``mime``), write it without metadata to ``dst``.

    Raises ``MediaRefused`` (422) for a damaged image, or one past the limits (a decompression or frame bomb).
    """
    limits = limits or ImageLimits(max_pixels=max_pixels)
    deadline = time.monotonic() + limits.max_seconds
    fmt = _FORMATS[mime]
    if fmt == "GIF":
        _refuse_many_gif_frames(src, limits.max_frames)
    try:
        with Image.open(src, formats=[fmt]) as im:
            width, height = im.size
            if width * height > max_pixels:
                raise _too_many_pixels(width, height)
            # A JPEG's extra frames (MPO: stereo pairs, previews) are dropped; only GIF, PNG and WebP animate.
            frames = getattr(im, "n_frames", 1) if fmt != "JPEG" else 1
            if frames > limits.max_frames:
                raise _too_many_frames(frames, limits.max_frames)
            if frames > 1 and frames * width * height > max_pixels:
                raise damaged(f"the animation has too many frames for its size ({frames} frames of {width}x{height})")
            with open(dst, "wb") as out:
                first = _write_animation(im, out, fmt, deadline) if frames > 1 else _write_still(im, out, fmt)
            shown_width, shown_height = first.size
            thumbnail = _thumbnail(first)
    except Image.DecompressionBombError:  # Pillow's own guard, past twice its MAX_IMAGE_PIXELS
        raise damaged("the image has too many pixels; refused as a possible decompression bomb") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, IndexError, struct.error):
        raise damaged("the image is damaged or not a valid image") from None
    digest = hashlib.sha256()
    with open(dst, "rb") as stored:
        while chunk := stored.read(1024 * 1024):
            digest.update(chunk)
        size = stored.tell()
    return ProcessedImage(
        sha256=digest.hexdigest(), size=size, width=shown_width, height=shown_height, thumbnail=thumbnail
    )


def _too_many_frames(frames: int | str, limit: int) -> Exception:
    return damaged(f"the animation has too many frames ({frames}; at most {limit})")


def _refuse_many_gif_frames(src: Path, limit: int) -> None:
    """Count a GIF's image descriptors by walking its blocks (no decoding), stopping past ``limit``.

    A damaged structure is left for Pillow to report; only the count matters here.
    """
    data = src.read_bytes()
    if len(data) < 13 or data[:3] != b"GIF":
        return
    pos = 13
    if data[10] & 0x80:  # global colour table
        pos += 3 << ((data[10] & 0x07) + 1)
    frames = 0
    while pos < len(data):
        block = data[pos]
        if block == 0x3B:  # trailer
            return
        if block == 0x21:  # extension: label, then sub-blocks
            pos += 2
        elif block == 0x2C:  # image descriptor, local colour table, LZW code size, then sub-blocks
            frames += 1
            if frames > limit:
                raise _too_many_frames(f"more than {limit}", limit)
            if pos + 10 > len(data):
                return
            flags = data[pos + 9]
            pos += 10 + ((3 << ((flags & 0x07) + 1)) if flags & 0x80 else 0) + 1
        else:
            return
        while pos < len(data) and data[pos]:  # sub-blocks, up to the empty one
            pos += data[pos] + 1
        pos += 1


def _too_many_pixels(width: int, height: int) -> Exception:
    return damaged(f"the image has too many pixels ({width}x{height}); refused as a possible decompression bomb")


def _color_params(info: Mapping[Any, Any]) -> dict[str, Any]:
    """The colour profile is kept (dropping it would change the colours); every other metadata field goes."""
    icc = info.get("icc_profile")
    return {"icc_profile": icc} if icc else {}


def _write_still(im: Image.Image, out: io.BufferedWriter, fmt: str) -> Image.Image:
    im.load()
    params = _color_params(im.info)
    oriented = im.getexif().get(_EXIF_ORIENTATION, 1) not in (None, 1)
    image = ImageOps.exif_transpose(im) if oriented else im
    if fmt == "JPEG":
        if not oriented and im.format == "JPEG":  # (not MPO, which Pillow cannot "keep")
            # Same pixels, same quantisation tables: no second generation of JPEG loss.
            im.info = {}
            im.save(out, "JPEG", quality="keep", **params)
            return im
        rgb = image if image.mode in ("RGB", "L", "CMYK") else image.convert("RGB")
        rgb.info = {}
        rgb.save(out, "JPEG", quality=90, optimize=True, **params)
        return rgb
    clean = image
    keep = {k: image.info[k] for k in ("transparency",) if k in image.info}
    clean.info = {}
    if fmt == "PNG":
        clean.save(out, "PNG", **params, **keep)
    elif fmt == "WEBP":
        clean.save(out, "WEBP", quality=90, method=4, exif=b"", xmp=b"", **params)
    else:
        clean.save(out, "GIF", **keep)
    return clean


def _write_animation(im: Image.Image, out: io.BufferedWriter, fmt: str, deadline: float) -> Image.Image:
    """Every frame as a full picture (Pillow composites them), saved again with its duration; nothing else kept."""
    frames: list[Image.Image] = []
    durations: list[int] = []
    for frame in ImageSequence.Iterator(im):
        if time.monotonic() > deadline:
            raise damaged("the animation takes too long to process")
        durations.append(int(frame.info.get("duration") or 100))
        copy = frame.convert("RGBA")
        copy.info = {}
        frames.append(copy)
    loop = int(im.info.get("loop", 0) or 0)
    first, rest = frames[0], frames[1:]
    if fmt == "GIF":
        first.save(out, "GIF", save_all=True, append_images=rest, duration=durations, loop=loop, disposal=2)
    elif fmt == "WEBP":
        first.save(out, "WEBP", save_all=True, append_images=rest, duration=durations, loop=loop, quality=90)
    else:
        first.save(out, "PNG", save_all=True, append_images=rest, duration=durations, loop=loop)
    return first


def _thumbnail(image: Image.Image) -> bytes:
    """A WebP of at most 480x480 pixels, aspect kept."""
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    if image.mode not in ("RGB", "RGBA"):
        image = image.convert("RGBA" if has_alpha else "RGB")
    width, height = image.size
    scale = min(1.0, THUMBNAIL_MAX / max(width, height))
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    # Straight to the small size (no full-size copy), in steps for speed: a 12 MP photo takes tens of ms.
    thumb = image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    thumb.info = {}
    buffer = io.BytesIO()
    thumb.save(buffer, "WEBP", quality=80, method=4)
    return buffer.getvalue()

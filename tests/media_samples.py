"""Media fixtures made in the test: real images from Pillow, minimal but well-formed containers for the rest."""

from __future__ import annotations

import io
import struct
import wave
import zipfile

from PIL import ExifTags, Image

GPS_MAKER = "SpyCam 3000"


def exif_with_gps(orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = GPS_MAKER  # Make
    exif[ExifTags.IFD.GPSInfo] = {1: "N", 2: (48.0, 51.0, 29.0), 3: "E", 4: (2.0, 17.0, 40.0)}
    return exif


def image(fmt: str, size: tuple[int, int] = (640, 480), color: str = "red", **params: object) -> bytes:
    buffer = io.BytesIO()
    mode = "RGBA" if fmt in ("PNG", "WEBP") else "RGB"
    Image.new(mode, size, color).save(buffer, fmt, **params)
    return buffer.getvalue()


def jpeg_with_gps(size: tuple[int, int] = (800, 600), orientation: int = 6) -> bytes:
    """A JPEG that says where it was taken, stored sideways (orientation 6: rotate 90° clockwise to show)."""
    return image("JPEG", size, exif=exif_with_gps(orientation), comment=b"taken at home")


def animated_gif(frames: int = 3, size: tuple[int, int] = (64, 48)) -> bytes:
    pictures = [Image.new("RGB", size, c) for c in ("red", "green", "blue", "yellow")[:frames]]
    buffer = io.BytesIO()
    pictures[0].save(buffer, "GIF", save_all=True, append_images=pictures[1:], duration=120, loop=0, comment=b"hi")
    return buffer.getvalue()


def animated_png(frames: int = 3, size: tuple[int, int] = (64, 48)) -> bytes:
    pictures = [Image.new("RGBA", size, c) for c in ("red", "green", "blue", "yellow")[:frames]]
    buffer = io.BytesIO()
    pictures[0].save(buffer, "PNG", save_all=True, append_images=pictures[1:], duration=100, loop=0)
    return buffer.getvalue()


def png_bomb(width: int = 100_000, height: int = 100_000) -> bytes:
    """A tiny PNG whose header declares a huge canvas (decoding it would need gigabytes)."""
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\0" * 1024)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def gif_frame_bomb(frames: int = 40_000) -> bytes:
    """A GIF of ``frames`` 1x1 frames (0.9 MB for 40,000): few pixels, but a frame's bookkeeping each."""
    header = b"GIF89a" + struct.pack("<HHBBB", 1, 1, 0x80, 0, 0) + b"\x00\x00\x00\xff\xff\xff"
    loop = b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"
    # Graphic control extension, image descriptor, then LZW data for one pixel (clear, 0, end) in 3-bit codes.
    frame = (
        b"\x21\xf9\x04\x00\x01\x00\x00\x00" + b"\x2c" + struct.pack("<HHHHB", 0, 0, 1, 1, 0) + b"\x02\x02\x44\x01\x00"
    )
    return header + loop + frame * frames + b"\x3b"


# -- ISO base media (MP4, M4A, MOV) ------------------------------------------------------------------------------


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def _ftyp(major: bytes, *compatible: bytes) -> bytes:
    return _box(b"ftyp", major + b"\0\0\0\0" + b"".join(compatible))


def _track(handler: bytes) -> bytes:
    hdlr = _box(b"hdlr", b"\0\0\0\0" + b"\0\0\0\0" + handler + b"\0" * 12 + b"handler\0")
    return _box(b"trak", _box(b"tkhd", b"\0" * 84) + _box(b"mdia", _box(b"mdhd", b"\0" * 24) + hdlr))


def mp4(*handlers: bytes, major: bytes = b"isom", compatible: tuple[bytes, ...] = (b"isom", b"mp42")) -> bytes:
    """ftyp, mdat, then moov at the end (as cameras write it) with one track per handler."""
    moov = _box(b"moov", _box(b"mvhd", b"\0" * 100) + b"".join(_track(h) for h in handlers))
    return _ftyp(major, *compatible) + _box(b"mdat", b"\0" * 2048) + moov


def mp4_video() -> bytes:
    return mp4(b"vide", b"soun")


def m4a() -> bytes:
    return mp4(b"soun", major=b"M4A ", compatible=(b"M4A ", b"mp42", b"isom"))


def quicktime() -> bytes:
    return mp4(b"vide", major=b"qt  ", compatible=(b"qt  ",))


# -- EBML (WebM, Matroska) ---------------------------------------------------------------------------------------


def _ebml(element: int, payload: bytes, *, unknown_size: bool = False) -> bytes:
    ident = element.to_bytes((element.bit_length() + 7) // 8, "big")
    if unknown_size:
        size = b"\x01\xff\xff\xff\xff\xff\xff\xff"
    else:
        size = (0x10000000 | len(payload)).to_bytes(4, "big")  # 4-byte size
    return ident + size + payload


def webm(*track_types: int, doctype: bytes = b"webm") -> bytes:
    """An EBML header and a live-recorded segment (unknown size, as MediaRecorder writes it)."""
    header = _ebml(0x1A45DFA3, _ebml(0x4286, b"\x01") + _ebml(0x4282, doctype) + _ebml(0x4287, b"\x04"))
    info = _ebml(0x1549A966, _ebml(0x2AD7B1, b"\x0f\x42\x40"))
    entries = b"".join(
        _ebml(
            0xAE, _ebml(0xD7, bytes([i + 1])) + _ebml(0x83, bytes([t])) + _ebml(0x86, b"A_OPUS" if t == 2 else b"V_VP8")
        )
        for i, t in enumerate(track_types)
    )
    tracks = _ebml(0x1654AE6B, entries)
    cluster = _ebml(0x1F43B675, b"\xe7\x81\x00" + b"\0" * 512, unknown_size=True)
    return header + _ebml(0x18538067, info + tracks + cluster, unknown_size=True)


# -- audio -------------------------------------------------------------------------------------------------------


def wav(seconds: float = 0.2) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\0\0" * int(8000 * seconds))
    return buffer.getvalue()


def mp3() -> bytes:
    """An ID3v2 tag, then MPEG-1 Layer III frames (128 kbit/s, 44.1 kHz: 417 bytes each)."""
    frame = b"\xff\xfb\x90\x64" + b"\0" * 413
    return b"ID3\x03\x00\x00\x00\x00\x00\x0a" + b"\0" * 10 + frame * 8


def aac() -> bytes:
    frame = b"\xff\xf1\x50\x80\x02\x1f\xfc" + b"\0" * 9
    return frame * 8


def ogg() -> bytes:
    """One Ogg page holding an Opus identification header."""
    opus_head = b"OpusHead\x01\x01\x38\x01\x80\xbb\0\0\0\0\0"
    page = b"OggS\x00\x02" + b"\0" * 8 + b"\x01\0\0\0" + b"\0\0\0\0" + b"\0\0\0\0" + b"\x01" + bytes([len(opus_head)])
    return page + opus_head


# -- documents ---------------------------------------------------------------------------------------------------


def pdf() -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
        b"trailer<</Root 1 0 R>>\n%%EOF\n"
    )


def zip_of(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def office(folder: str, *extra: str) -> bytes:
    """A minimal Office Open XML package: [Content_Types].xml and a part in word/, xl/ or ppt/."""
    files = {
        "[Content_Types].xml": b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/"/>',
        "_rels/.rels": b"<Relationships/>",
        f"{folder}/document.xml": b"<document/>",
    }
    files.update({name: b"\0" for name in extra})
    return zip_of(files)


def docx() -> bytes:
    return office("word")


def xlsx() -> bytes:
    return office("xl")


def pptx() -> bytes:
    return office("ppt")


TEXT = "Hello 👋\nThis is plain text, with ünïcödé.\n".encode()
CSV = b'name,email,age\nAda,ada@example.com,36\n"Lovelace, A",al@example.com,37\n'
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
HTML_LATE = b"Just some words first\n<script>alert(1)</script>\n"
SVG = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><circle r="4"/></svg>'
SVG_BARE = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\0" * 8 + b"\x02\x00\x3e\x00" + b"\0" * 200
PE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\0" * 44 + b"\x80\0\0\0" + b"\0" * 64 + b"PE\0\0"
MACHO = b"\xcf\xfa\xed\xfe\x07\x00\x00\x01" + b"\0" * 100
SCRIPT = b"#!/bin/sh\nrm -rf ~\n"
BINARY = bytes(range(256)) * 4

"""What the media unit tests share: a media id, and a file holding given bytes."""

from __future__ import annotations

from pathlib import Path

MEDIA_ID = "0123456789abcdef0123456789abcdef"


def _file(tmp_path: Path, data: bytes, name: str = "upload.bin") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path

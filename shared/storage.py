"""Media bytes behind one interface; the default backend is a content-addressed folder on disk.

Files live at ``<dir>/<sha256[:2]>/<sha256>``: written to a temporary file in ``<dir>/tmp`` first (same file system)
and renamed into place, so a reader never sees half a file, and identical uploads share one copy. Names given by
users never reach a path: only hex digests do.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import BinaryIO, Protocol

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
READ_CHUNK = 256 * 1024


class MediaStorage(Protocol):
    def staging_file(self) -> tuple[BinaryIO, Path]:
        """A new writable temporary file (and its path) to stage an upload in; ``put_file`` moves it in."""
        ...

    async def put_file(self, staged: Path, sha256: str) -> None:
        """Store the staged file (whose digest the caller computed while writing it) and consume it."""
        ...

    async def put_bytes(self, data: bytes) -> str:
        """Store small bytes (a thumbnail); returns their sha256."""
        ...

    async def size(self, sha256: str) -> int | None:
        """The stored size, None when nothing is stored under ``sha256``."""
        ...

    def read(self, sha256: str, start: int, length: int) -> AsyncIterator[bytes]:
        """``length`` bytes from ``start``, in chunks."""
        ...


def _checked(sha256: str) -> str:
    if not _SHA256.match(sha256):
        raise ValueError("not a sha256 hex digest")
    return sha256


class DiskStorage:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()
        self.tmp = self.root / "tmp"
        self.tmp.mkdir(parents=True, exist_ok=True)

    def path(self, sha256: str) -> Path:
        sha256 = _checked(sha256)
        return self.root / sha256[:2] / sha256

    def staging_file(self) -> tuple[BinaryIO, Path]:
        fd, name = tempfile.mkstemp(dir=self.tmp, prefix="upload-")
        return os.fdopen(fd, "wb"), Path(name)

    async def put_file(self, staged: Path, sha256: str) -> None:
        await asyncio.to_thread(self._move_in, staged, self.path(sha256))

    @staticmethod
    def _move_in(staged: Path, final: Path) -> None:
        if final.exists():  # the same bytes are stored already
            staged.unlink(missing_ok=True)
            return
        with open(staged, "rb") as f:
            os.fsync(f.fileno())
        final.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(staged, 0o644)
        os.replace(staged, final)

    async def put_bytes(self, data: bytes) -> str:
        sha256 = hashlib.sha256(data).hexdigest()

        def write() -> Path:
            f, path = self.staging_file()
            with f:
                f.write(data)
            return path

        await self.put_file(await asyncio.to_thread(write), sha256)
        return sha256

    async def size(self, sha256: str) -> int | None:
        try:
            return (await asyncio.to_thread(self.path(sha256).stat)).st_size
        except FileNotFoundError:
            return None

    async def read(self, sha256: str, start: int, length: int) -> AsyncIterator[bytes]:
        f = await asyncio.to_thread(open, self.path(sha256), "rb")
        try:
            await asyncio.to_thread(f.seek, start)
            left = length
            while left > 0:
                chunk = await asyncio.to_thread(f.read, min(READ_CHUNK, left))
                if not chunk:
                    break
                left -= len(chunk)
                yield chunk
        finally:
            await asyncio.to_thread(f.close)

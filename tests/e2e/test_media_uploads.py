"""Uploads through the real services and their refusals: types the bytes give away, malformed requests, the size
limit while streaming, frame bombs."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests import media_samples as s
from tests.e2e.media_helpers import upload
from tests.support import Infra, Stack, bearer, register

# -- what is refused ---------------------------------------------------------------------------------------------

REFUSED: list[tuple[str, Callable[[], bytes], str, int]] = [
    ("cute.png", lambda: s.HTML, "image/png", 415),  # HTML named .png, sent as image/png
    ("logo.svg", lambda: s.SVG, "image/svg+xml", 415),
    ("page.txt", lambda: s.HTML_LATE, "text/plain", 415),
    ("tool", lambda: s.ELF, "application/octet-stream", 415),
    ("setup.exe", lambda: s.PE, "application/octet-stream", 415),
    ("run.sh", lambda: s.SCRIPT, "text/plain", 415),
    ("blob.dat", lambda: s.BINARY, "application/octet-stream", 415),
    ("movie.mov", s.quicktime, "video/quicktime", 415),
    ("empty.txt", lambda: b"", "text/plain", 422),
    ("bomb.png", s.png_bomb, "image/png", 422),
    ("big.png", lambda: s.png_bomb(9000, 9000), "image/png", 422),
    ("broken.jpg", lambda: s.image("JPEG")[:300], "image/jpeg", 422),
]


@pytest.mark.parametrize(("name", "make", "content_type", "status"), REFUSED, ids=[r[0] for r in REFUSED])
async def test_refused_uploads(
    http: httpx.AsyncClient, stack: Stack, name: str, make: Callable[[], bytes], content_type: str, status: int
) -> None:
    user = await register(http, stack)
    response = await upload(http, stack, user, make(), name, content_type)
    assert response.status_code == status, response.text
    assert response.json()["detail"]


async def test_malformed_upload_requests(http: httpx.AsyncClient, stack: Stack) -> None:
    user = await register(http, stack)
    url = f"{stack.url('command')}/api/uploads"
    anonymous = await http.post(url, files={"file": ("a.txt", b"hi", "text/plain")})
    assert anonymous.status_code == 401
    no_file = await http.post(
        url, files={"other": ("a.txt", b"hi", "text/plain")}, headers=bearer(user["access_token"])
    )
    assert no_file.status_code == 422 and "file" in no_file.json()["detail"]
    not_multipart = await http.post(url, content=b"hi", headers=bearer(user["access_token"]))
    assert not_multipart.status_code == 422
    two = await http.post(
        url,
        files=[("file", ("a.txt", b"a", "text/plain")), ("file", ("b.txt", b"b", "text/plain"))],
        headers=bearer(user["access_token"]),
    )
    assert two.status_code == 422
    cut = await http.post(
        url,
        content=b'--XyZ\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\nhello',
        headers={**bearer(user["access_token"]), "Content-Type": "multipart/form-data; boundary=XyZ"},
    )
    assert cut.status_code == 422


# -- size limit --------------------------------------------------------------------------------------------------

LIMIT = 200_000


@pytest.fixture(scope="module")
def small_stack(infra: Infra) -> Iterator[Stack]:
    """A stack whose upload limit is 200 kB, so the limit shows without moving 25 MB around."""
    stack = Stack(infra, infra.nats, extra_env={"PARLEY_MAX_UPLOAD_BYTES": str(LIMIT)}).start()
    try:
        yield stack
    finally:
        stack.stop()


def _staging(stack: Stack) -> Path:
    return Path(stack.env["PARLEY_MEDIA_DIR"]) / "tmp"


async def _chunked_multipart(size: int, boundary: str = "b0undary") -> AsyncIterator[bytes]:
    """A multipart body sent without Content-Length (chunked), so only counting while reading can stop it."""
    yield f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.txt"\r\n\r\n'.encode()
    sent = 0
    while sent < size:
        chunk = b"a" * min(64 * 1024, size - sent)
        sent += len(chunk)
        yield chunk
    yield f"\r\n--{boundary}--\r\n".encode()


async def test_the_upload_limit_is_enforced_while_streaming(http: httpx.AsyncClient, small_stack: Stack) -> None:
    user = await register(http, small_stack)
    at_limit = await upload(http, small_stack, user, b"a" * LIMIT, "exact.txt")
    assert at_limit.status_code == 201, at_limit.text
    # One byte over: the body is within the framing allowance, so the route's count refuses it.
    over = await upload(http, small_stack, user, b"a" * (LIMIT + 1), "over.txt")
    assert over.status_code == 413 and str(LIMIT) in over.json()["detail"]
    # Declared far too large: refused before a byte is read.
    declared = await upload(http, small_stack, user, b"a" * (LIMIT * 10), "declared.txt")
    assert declared.status_code == 413
    # No Content-Length at all: refused as soon as the count passes the limit.
    chunked = await http.post(
        f"{small_stack.url('command')}/api/uploads",
        content=_chunked_multipart(LIMIT * 20),
        headers={**bearer(user["access_token"]), "Content-Type": "multipart/form-data; boundary=b0undary"},
    )
    assert chunked.status_code == 413
    assert list(_staging(small_stack).iterdir()) == []  # nothing left half-written
    # The JSON limit still applies to every other route.
    huge_json = await http.post(
        f"{small_stack.url('command')}/api/messages",
        content=b'{"to": "' + b"x" * 100_000 + b'"}',
        headers={**bearer(user["access_token"]), "Content-Type": "application/json"},
    )
    assert huge_json.status_code == 413


# -- frame bombs -------------------------------------------------------------------------------------------------


async def test_a_gif_frame_bomb_is_refused_quickly(
    http: httpx.AsyncClient, stack: Stack, pair: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    alice, _ = pair
    bomb = s.gif_frame_bomb(40_000)
    assert len(bomb) < 1_000_000
    started = time.monotonic()
    response = await upload(http, stack, alice, bomb, "bomb.gif", "image/gif")
    took = time.monotonic() - started
    assert response.status_code == 422, response.text
    assert "too many frames" in response.json()["detail"]
    assert took < 3, f"refused after {took:.1f} s"
    print(f"GIF of 40,000 frames refused in {took * 1000:.0f} ms")
    # An ordinary animation still goes through.
    assert (await upload(http, stack, alice, s.animated_gif(), "fine.gif", "image/gif")).status_code == 201

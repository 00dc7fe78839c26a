"""Downloads through the real services: every accepted type served back with its headers, the names it is saved
under, byte ranges for seeking."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from PIL import Image

from tests import media_samples as s
from tests.e2e.media_helpers import fetch, upload, uploaded
from tests.support import Stack, bearer, register

# -- what is accepted --------------------------------------------------------------------------------------------

ACCEPTED: list[tuple[str, Callable[[], bytes], str, str, str]] = [
    ("photo.jpg", lambda: s.image("JPEG"), "image/jpeg", "image", "inline"),
    ("pic.png", lambda: s.image("PNG"), "image/png", "image", "inline"),
    ("pic.webp", lambda: s.image("WEBP"), "image/webp", "image", "inline"),
    ("anim.gif", s.animated_gif, "image/gif", "image", "inline"),
    ("anim.png", s.animated_png, "image/png", "image", "inline"),
    ("clip.mp4", s.mp4_video, "video/mp4", "video", "inline"),
    ("clip.webm", lambda: s.webm(1, 2), "video/webm", "video", "inline"),
    ("voice.webm", lambda: s.webm(2), "audio/webm", "audio", "inline"),
    ("song.mp3", s.mp3, "audio/mpeg", "audio", "inline"),
    ("note.ogg", s.ogg, "audio/ogg", "audio", "inline"),
    ("beep.wav", s.wav, "audio/wav", "audio", "inline"),
    ("memo.m4a", s.m4a, "audio/mp4", "audio", "inline"),
    ("raw.aac", s.aac, "audio/aac", "audio", "inline"),
    ("doc.pdf", s.pdf, "application/pdf", "file", "attachment"),
    ("notes.txt", lambda: s.TEXT, "text/plain; charset=utf-8", "file", "attachment"),
    ("table.csv", lambda: s.CSV, "text/csv; charset=utf-8", "file", "attachment"),
    (
        "letter.docx",
        s.docx,
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "file",
        "attachment",
    ),
    ("sheet.xlsx", s.xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "file", "attachment"),
    (
        "deck.pptx",
        s.pptx,
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "file",
        "attachment",
    ),
    ("bundle.zip", lambda: s.zip_of({"a.txt": b"a"}), "application/zip", "file", "attachment"),
]


@pytest.mark.parametrize(("name", "make", "mime", "kind", "disposition"), ACCEPTED, ids=[a[0] for a in ACCEPTED])
async def test_every_allowed_type_uploads_and_downloads(
    http: httpx.AsyncClient,
    stack: Stack,
    name: str,
    make: Callable[[], bytes],
    mime: str,
    kind: str,
    disposition: str,
) -> None:
    user = await register(http, stack)
    data = make()
    # The browser's header lies; the bytes decide.
    response = await upload(http, stack, user, data, name, content_type="application/x-msdownload")
    assert response.status_code == 201, response.text
    media = response.json()["media"]
    assert media["kind"] == kind and mime.startswith(media["mime"]) and media["name"] == name
    assert len(media["id"]) == 32
    download = await fetch(http, stack, media["url"])
    assert download.status_code == 200, download.text
    assert download.headers["content-type"] == mime
    assert download.headers["x-content-type-options"] == "nosniff"
    assert download.headers["cache-control"] == "private, max-age=31536000, immutable"
    assert download.headers["content-disposition"].startswith(f'{disposition}; filename="{name}"')
    assert int(download.headers["content-length"]) == media["size"] == len(download.content)
    if kind == "image":
        assert media["thumbnail_url"] and media["width"] and media["height"]
        assert Image.open(io.BytesIO(download.content)).format == Image.open(io.BytesIO(data)).format
    else:
        assert download.content == data  # stored as uploaded
        assert media["thumbnail_url"] is None and media["width"] is None


# -- names -------------------------------------------------------------------------------------------------------


async def test_names_are_kept_for_display_but_never_used_as_paths(http: httpx.AsyncClient, stack: Stack) -> None:
    user = await register(http, stack)
    media = await uploaded(http, stack, user, s.pdf(), "../../../etc/pass\u202ewd.pdf")
    assert media["name"] == "passwd.pdf"
    # Raw, as a careless client might send it: control characters and a quote (escaped as browsers do).
    raw = (
        b'--XyZ\r\nContent-Disposition: form-data; name="file"; filename="say %22hi%22\x07\t.txt"\r\n\r\n'
        + s.TEXT
        + b"\r\n--XyZ--\r\n"
    )
    response = await http.post(
        f"{stack.url('command')}/api/uploads",
        content=raw,
        headers={**bearer(user["access_token"]), "Content-Type": "multipart/form-data; boundary=XyZ"},
    )
    assert response.status_code == 201, response.text
    quoted = response.json()["media"]
    assert quoted["name"] == 'say "hi".txt'
    assert (await fetch(http, stack, quoted["url"])).headers["content-disposition"] == (
        "attachment; filename=\"say _hi_.txt\"; filename*=UTF-8''say%20%22hi%22.txt"
    )
    download = await fetch(http, stack, media["url"])
    assert download.headers["content-disposition"] == (
        "attachment; filename=\"passwd.pdf\"; filename*=UTF-8''passwd.pdf"
    )
    unicode = await uploaded(http, stack, user, s.TEXT, "résumé 📄.txt")
    header = (await fetch(http, stack, unicode["url"])).headers["content-disposition"]
    assert header == "attachment; filename=\"r_sum_ _.txt\"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%F0%9F%93%84.txt"


# -- ranges ------------------------------------------------------------------------------------------------------


async def test_range_requests_for_seeking(
    http: httpx.AsyncClient, stack: Stack, pair: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    alice, _ = pair
    data = s.mp4_video()
    media = await uploaded(http, stack, alice, data, "clip.mp4")
    url, size = media["url"], len(data)
    part = await fetch(http, stack, url, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == data[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{size}" and part.headers["content-length"] == "100"
    assert part.headers["accept-ranges"] == "bytes" and part.headers["content-type"] == "video/mp4"
    tail = await fetch(http, stack, url, headers={"Range": "bytes=-16"})
    assert tail.status_code == 206 and tail.content == data[-16:]
    rest = await fetch(http, stack, url, headers={"Range": f"bytes={size - 10}-"})
    assert rest.status_code == 206 and rest.content == data[-10:]
    for bad in (f"bytes={size}-", f"bytes={size + 100}-{size + 200}", "bytes=50-10"):
        refused = await fetch(http, stack, url, headers={"Range": bad})
        assert refused.status_code == 416 and refused.headers["content-range"] == f"bytes */{size}", bad
    whole = await fetch(http, stack, url)
    assert whole.status_code == 200 and whole.content == data
    cached = await fetch(http, stack, url, headers={"If-None-Match": whole.headers["etag"]})
    assert cached.status_code == 304 and cached.content == b""

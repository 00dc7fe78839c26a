"""What the media end-to-end tests share: uploading through the command API, fetching as a browser would."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support import Stack, bearer


async def upload(
    http: httpx.AsyncClient,
    stack: Stack,
    user: dict[str, Any],
    data: bytes,
    name: str = "upload.bin",
    content_type: str = "application/octet-stream",
) -> httpx.Response:
    return await http.post(
        f"{stack.url('command')}/api/uploads",
        files={"file": (name, data, content_type)},
        headers=bearer(user["access_token"]),
    )


async def uploaded(http: httpx.AsyncClient, stack: Stack, user: dict[str, Any], data: bytes, name: str) -> Any:
    response = await upload(http, stack, user, data, name)
    assert response.status_code == 201, response.text
    return response.json()["media"]


async def fetch(http: httpx.AsyncClient, stack: Stack, path: str, **kw: Any) -> httpx.Response:
    """GET a media URL as a browser's <img> would: no Authorization header unless given."""
    return await http.get(f"{stack.url('query')}{path}", **kw)

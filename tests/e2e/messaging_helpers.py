"""What the messaging end-to-end tests share: a conversation's history once projected, a value to poll for."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support import Stack, bearer, eventually


async def history(
    http: httpx.AsyncClient, stack: Stack, user: dict[str, Any], peer_id: str, **params: Any
) -> dict[str, Any]:
    async def fetch() -> httpx.Response | None:
        response = await http.get(
            f"{stack.url('query')}/api/conversations/{peer_id}/messages",
            params=params,
            headers=bearer(user["access_token"]),
        )
        # 404 until the projector has the peer in the users view (a moment after registering)
        return None if response.status_code == 404 else response

    response = await eventually(fetch, what="peer projected")
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


async def wait_history(
    http: httpx.AsyncClient, stack: Stack, user: dict[str, Any], peer_id: str, count: int
) -> list[dict[str, Any]]:
    async def probe() -> list[dict[str, Any]] | None:
        messages: list[dict[str, Any]] = (await history(http, stack, user, peer_id, limit=100))["messages"]
        return messages if len(messages) >= count else None

    return await eventually(probe, what=f"{count} messages projected")


async def _async(value: Any) -> Any:
    return value

"""Every integer a client sends has an upper bound: past it, 422, never a 500 (issue 10, item 9)."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.support import Stack, bearer, eventually, register

HUGE = 2**63  # one past MongoDB's largest integer


@pytest.mark.parametrize(
    "path",
    [
        "/api/conversations/{peer}/messages?before={huge}",
        "/api/sync?after={huge}",
        "/api/audit/events?after={huge}",
        "/api/media/{media}?exp={huge}&sig=00",
        "/api/media/{media}/thumbnail?exp={huge}&sig=00",
    ],
)
async def test_a_huge_integer_parameter_is_422(http: httpx.AsyncClient, stack: Stack, path: str) -> None:
    me = await register(http, stack)
    peer = await register(http, stack)
    url = stack.url("query") + path.format(peer=peer["user"]["id"], media=uuid.uuid4().hex, huge=HUGE)
    if "/conversations/" in path:  # the cursor reaches the database only once the peer is known (a 500 before)

        async def peer_projected() -> bool:
            small = url.replace(str(HUGE), "1")
            return (await http.get(small, headers=bearer(me["access_token"]))).status_code == 200

        await eventually(peer_projected, what="the peer projected")
    response = await http.get(url, headers=bearer(me["access_token"]))
    assert response.status_code == 422, response.text


async def test_a_huge_integer_in_a_body_is_422(http: httpx.AsyncClient, stack: Stack) -> None:
    me = await register(http, stack)
    peer = await register(http, stack)
    response = await http.post(
        f"{stack.url('command')}/api/messages/read",
        json={"peer_id": peer["user"]["id"], "up_to_seq": HUGE},
        headers=bearer(me["access_token"]),
    )
    assert response.status_code == 422, response.text

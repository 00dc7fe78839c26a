"""Display names read as what they are (issue 10, item 11): bidirectional overrides, zero-width and other invisible
characters are refused with 422 at registration and on rename; emoji sequences and scripts that need joiners pass."""

from __future__ import annotations

import httpx
import pytest

from tests.support import Stack, bearer, register, unique

DECEPTIVE = [
    "Alice\u202egnp.exe",  # right-to-left override: shows as "Aliceexe.png"
    "\u2066Admin\u2069",  # isolates
    "Bob\u200b",  # zero-width space: a second "Bob"
    "Bo\u200eb",  # left-to-right mark
    "\ufeffCarol",  # byte order mark
    "Dave\u2028Admin",  # line separator
    "Eve\x1b[31m",  # a control character
]


@pytest.mark.parametrize("name", DECEPTIVE)
async def test_deceptive_names_are_refused(http: httpx.AsyncClient, stack: Stack, name: str) -> None:
    body = {"name": name, "email": f"{unique('n')}@example.com", "password": "correct horse battery"}
    response = await http.post(f"{stack.url('command')}/api/auth/register", json=body)
    assert response.status_code == 422, response.text
    assert "name" in response.json()["detail"]
    user = await register(http, stack)
    renamed = await http.put(
        f"{stack.url('command')}/api/profile", json={"name": name}, headers=bearer(user["access_token"])
    )
    assert renamed.status_code == 422, renamed.text


@pytest.mark.parametrize(
    "name", ["Ana \U0001f469\u200d\U0001f469\u200d\U0001f467", "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"]
)
async def test_names_that_need_joiners_are_kept(http: httpx.AsyncClient, stack: Stack, name: str) -> None:
    user = await register(http, stack, name=name)
    assert user["user"]["name"] == name

"""Accounts and the users view through the real services."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

import httpx
import jwt
import pytest
from pymongo import AsyncMongoClient

from tests.support import Stack, bearer, eventually, register, sidebar, unique


async def test_register_returns_user_and_token(http: httpx.AsyncClient, stack: Stack) -> None:
    email = f"{unique('Ada')}@Example.com"
    response = await http.post(
        f"{stack.url('command')}/api/auth/register",
        json={"name": "  Ada Lovelace ", "email": f"  {email} ", "password": "correct horse"},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["user"]["name"] == "Ada Lovelace"
    assert body["user"]["email"] == email.lower()
    assert "password" not in json.dumps(body)
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["sub"] == body["user"]["id"]
    assert {"sub", "iat", "exp", "jti"} <= set(claims)


async def test_one_account_per_email_ignoring_case_and_spaces(http: httpx.AsyncClient, stack: Stack) -> None:
    first = await register(http, stack)
    email = first["user"]["email"]
    again = await http.post(
        f"{stack.url('command')}/api/auth/register",
        json={"name": "Other", "email": f" {email.upper()} ", "password": "another password"},
    )
    assert again.status_code == 409
    assert again.json()["detail"]


async def test_concurrent_registrations_give_exactly_one_account(
    http: httpx.AsyncClient, stack: Stack, mongo: AsyncMongoClient[dict[str, Any]]
) -> None:
    email = f"{unique('race')}@example.com"
    responses = await asyncio.gather(
        *(
            http.post(
                f"{stack.url('command')}/api/auth/register",
                json={"name": f"Racer {i}", "email": email, "password": "correct horse"},
            )
            for i in range(8)
        )
    )
    codes = sorted(r.status_code for r in responses)
    assert codes == [201] + [409] * 7, codes
    events = mongo[stack.name]["events"]
    assert await events.count_documents({"type": "UserRegistered", "data.email": email}) == 1


@pytest.mark.parametrize(
    "body",
    [
        {"name": "A", "email": "a@example.com", "password": "short"},
        {"name": "A", "email": "a@example.com", "password": "é" * 37},
        {"name": "", "email": "a@example.com", "password": "correct horse"},
        {"name": "x" * 51, "email": "a@example.com", "password": "correct horse"},
        {"name": "A", "email": "not an email", "password": "correct horse"},
        {"name": "A\x00", "email": "a@example.com", "password": "correct horse"},
        {"name": "A", "email": "a@example.com"},
        {"name": "A", "email": "a@example.com", "password": "correct horse", "role": "admin"},
        {"name": 5, "email": ["a@example.com"], "password": None},
        [],
        "just a string",
    ],
)
async def test_register_refuses_bad_input_with_422(http: httpx.AsyncClient, stack: Stack, body: Any) -> None:
    response = await http.post(f"{stack.url('command')}/api/auth/register", json=body)
    assert response.status_code == 422, response.text
    error = response.json()
    assert isinstance(error["detail"], str) and error["detail"]
    assert "correct horse" not in response.text  # input is never echoed


@pytest.mark.parametrize("raw", [b"{bad json", b"", b"\xff\xfe", b'{"name": "A", "email": '])
async def test_malformed_json_is_422(http: httpx.AsyncClient, stack: Stack, raw: bytes) -> None:
    response = await http.post(
        f"{stack.url('command')}/api/auth/register", content=raw, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["detail"]


async def test_oversized_body_is_413(http: httpx.AsyncClient, stack: Stack) -> None:
    body = {"name": "A", "email": "a@example.com", "password": "x" * 200_000}
    response = await http.post(f"{stack.url('command')}/api/auth/register", json=body)
    assert response.status_code == 413
    assert response.json()["detail"]

    async def chunks() -> Any:  # no Content-Length: the limit is enforced on the bytes received
        for _ in range(100):
            yield b"x" * 10_000

    streamed = await http.post(
        f"{stack.url('command')}/api/auth/register", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert streamed.status_code == 413


async def test_login(http: httpx.AsyncClient, stack: Stack) -> None:
    user = await register(http, stack)
    response = await http.post(
        f"{stack.url('command')}/api/auth/login",
        json={"email": user["user"]["email"].upper(), "password": user["password"]},
    )
    assert response.status_code == 200, response.text
    assert response.json()["user"] == user["user"]
    me = await http.get(f"{stack.url('query')}/api/me", headers=bearer(response.json()["access_token"]))
    # the projection may lag a moment behind the command
    if me.status_code == 404:
        await eventually(
            lambda: _ok(http, f"{stack.url('query')}/api/me", response.json()["access_token"]), what="me projected"
        )


async def _ok(http: httpx.AsyncClient, url: str, token: str) -> bool:
    return (await http.get(url, headers=bearer(token))).status_code == 200


async def test_login_failure_is_the_same_for_unknown_email_and_wrong_password(
    http: httpx.AsyncClient, stack: Stack
) -> None:
    user = await register(http, stack)
    wrong = await http.post(
        f"{stack.url('command')}/api/auth/login", json={"email": user["user"]["email"], "password": "wrong password"}
    )
    unknown = await http.post(
        f"{stack.url('command')}/api/auth/login",
        json={"email": f"{unique('nobody')}@example.com", "password": "wrong password"},
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"]


async def test_repeated_login_failures_are_throttled(http: httpx.AsyncClient, stack: Stack) -> None:
    user = await register(http, stack)
    login = {"email": user["user"]["email"], "password": "wrong password"}
    codes = [(await http.post(f"{stack.url('command')}/api/auth/login", json=login)).status_code for _ in range(6)]
    assert codes == [401] * 5 + [429]
    # even the right password waits out the window
    right = await http.post(f"{stack.url('command')}/api/auth/login", json={**login, "password": user["password"]})
    assert right.status_code == 429
    assert int(right.headers["Retry-After"]) > 0


async def test_parallel_guessing_is_throttled_too(http: httpx.AsyncClient, stack: Stack) -> None:
    user = await register(http, stack)
    login = {"email": user["user"]["email"], "password": "wrong password"}
    await asyncio.gather(*(http.post(f"{stack.url('command')}/api/auth/login", json=login) for _ in range(20)))
    after = await http.post(f"{stack.url('command')}/api/auth/login", json={**login, "password": user["password"]})
    assert after.status_code == 429


def _b64(obj: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()


async def test_protected_routes_refuse_bad_tokens(http: httpx.AsyncClient, stack: Stack) -> None:
    user = await register(http, stack)
    sub = user["user"]["id"]
    forged = jwt.encode({"sub": sub, "iat": 0, "exp": 4_000_000_000, "jti": "j"}, "not-the-secret" * 4)
    expired = jwt.encode({"sub": sub, "iat": 0, "exp": 1, "jti": "j"}, stack.env["PARLEY_JWT_SECRET"])
    alg_none = (
        f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64({'sub': sub, 'iat': 0, 'exp': 4_000_000_000, 'jti': 'j'})}."
    )
    for headers in (
        {},
        bearer("garbage"),
        bearer(forged),
        bearer(expired),
        bearer(alg_none),
        {"Authorization": "Basic x"},
    ):
        for url in (f"{stack.url('query')}/api/me", f"{stack.url('query')}/api/users"):
            response = await http.get(url, headers=headers)
            assert response.status_code == 401, (headers, response.text)
            assert response.json()["detail"]


async def test_users_lists_everyone_else(http: httpx.AsyncClient, stack: Stack) -> None:
    ada = await register(http, stack, name="Ada")
    bob = await register(http, stack, name="Bob 😀")

    async def bob_visible() -> list[dict[str, Any]] | None:
        users = await sidebar(http, stack, ada["access_token"])
        return users if any(u["id"] == bob["user"]["id"] for u in users) else None

    users = await eventually(bob_visible, what="bob in ada's sidebar")
    assert all(u["id"] != ada["user"]["id"] for u in users)
    entry = next(u for u in users if u["id"] == bob["user"]["id"])
    assert entry == {
        "id": bob["user"]["id"],
        "name": "Bob 😀",
        "avatar": None,
        "online": False,
        "last_seen": None,
        "conversation": None,
    }
    me = await http.get(f"{stack.url('query')}/api/me", headers=bearer(bob["access_token"]))
    assert me.json()["user"]["email"] == bob["user"]["email"]


async def test_a_sign_up_is_on_the_next_first_page_as_soon_as_it_is_projected(
    http: httpx.AsyncClient, stack: Stack
) -> None:
    ada = await register(http, stack, name="Ada")
    tag = unique("Newcomer").replace("-", "")
    newcomer = await register(http, stack, name=f"{tag} Jones")
    profile = f"{stack.url('query')}/api/users/{newcomer['user']['id']}"

    async def projected() -> bool | None:
        response = await http.get(profile, headers=bearer(ada["access_token"]))
        return True if response.status_code == 200 else None

    await eventually(projected, what="the newcomer projected", interval=0.01)
    # The users view and the directory are written in the same batch, the directory first: a first page asked
    # for now lists the newcomer (no waiting for the query API's periodic refresh).
    for params in ({"q": tag}, {"q": "jones", "limit": 100}):
        page = await http.get(f"{stack.url('query')}/api/users", params=params, headers=bearer(ada["access_token"]))
        assert newcomer["user"]["id"] in [u["id"] for u in page.json()["users"]], params


async def test_health_and_readiness(http: httpx.AsyncClient, stack: Stack) -> None:
    for service in ("command", "query", "projector", "realtime"):
        health = await http.get(f"{stack.direct(service)}/healthz")
        assert health.status_code == 200
        assert health.json()["status"] == "ok"
        ready = await http.get(f"{stack.direct(service)}/readyz")
        assert ready.status_code == 200, ready.text


async def test_request_id_is_echoed_and_becomes_the_correlation_id(
    http: httpx.AsyncClient, stack: Stack, mongo: AsyncMongoClient[dict[str, Any]]
) -> None:
    request_id = unique("req-")
    email = f"{unique('corr')}@example.com"
    response = await http.post(
        f"{stack.url('command')}/api/auth/register",
        json={"name": "C", "email": email, "password": "correct horse"},
        headers={"X-Request-ID": request_id},
    )
    assert response.headers["X-Request-ID"] == request_id
    event = await mongo[stack.name]["events"].find_one({"data.email": email})
    assert event is not None and event["correlation_id"] == request_id
    hostile = await http.get(f"{stack.direct('query')}/healthz", headers={"X-Request-ID": "x" * 500 + "<script>"})
    assert hostile.headers["X-Request-ID"] != "x" * 500


async def test_unknown_routes_and_methods_are_json(http: httpx.AsyncClient, stack: Stack) -> None:
    missing = await http.get(f"{stack.url('query')}/api/nope")
    assert missing.status_code == 404 and missing.json()["detail"]
    wrong_method = await http.get(f"{stack.url('command')}/api/auth/register")
    assert wrong_method.status_code == 405 and wrong_method.json()["detail"]

"""Sessions that end: log out, log out everywhere, password change, renewal; on both APIs and on sockets."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import socketio
from pymongo import AsyncMongoClient

from tests.conftest import SocketFactory
from tests.support import Infra, Stack, bearer, eventually, received, register


async def _login(stack: Stack, email: str, password: str) -> tuple[httpx.AsyncClient, dict[str, Any]]:
    """A second device: its own cookie jar (the refresh cookie), its own session."""
    device = httpx.AsyncClient(timeout=10)
    answer = await device.post(f"{stack.url('command')}/api/auth/login", json={"email": email, "password": password})
    assert answer.status_code == 200, answer.text
    return device, answer.json()


async def _me(http: httpx.AsyncClient, stack: Stack, token: str) -> int:
    return (await http.get(f"{stack.url('query')}/api/me", headers=bearer(token))).status_code


async def _command(http: httpx.AsyncClient, stack: Stack, token: str) -> int:
    # Any authenticated command; reading a conversation with nobody is cheap and changes nothing.
    answer = await http.put(f"{stack.url('command')}/api/profile", json={}, headers=bearer(token))
    return answer.status_code


async def _refused_everywhere(http: httpx.AsyncClient, stack: Stack, token: str) -> None:
    assert await _command(http, stack, token) == 401  # the instance that recorded it: at once

    async def query_refuses() -> bool:
        return await _me(http, stack, token) == 401

    # The query API hears it on the bus within moments.
    await eventually(query_refuses, timeout=3, what="query API refusing the ended session")


async def _cut_off(client: socketio.AsyncClient) -> None:
    await eventually(lambda: _gone(client), timeout=3, what="socket disconnected")
    assert received(client, "session_ended"), client.received  # type: ignore[attr-defined]


async def test_logout_ends_the_token_and_its_sockets_at_once(
    http: httpx.AsyncClient, stack: Stack, sockets: SocketFactory
) -> None:
    user = await register(http, stack)
    token = user["access_token"]
    other_device, other = await _login(stack, user["user"]["email"], user["password"])
    socket = await sockets(stack.url("realtime"), token)
    socket2 = await sockets(stack.url("realtime2"), token)
    other_socket = await sockets(stack.url("realtime"), other["access_token"])
    await eventually(lambda: _ok(http, stack, token), what="the read model has the user")

    answer = await http.post(f"{stack.url('command')}/api/auth/logout", headers=bearer(token))
    assert answer.status_code == 204
    await _refused_everywhere(http, stack, token)
    await _cut_off(socket)
    await _cut_off(socket2)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await sockets(stack.url("realtime"), token)
    # The refresh cookie of the ended session renews nothing.
    renewed = await http.post(f"{stack.url('command')}/api/auth/refresh")
    assert renewed.status_code == 401
    # The other session goes on.
    assert await _me(http, stack, other["access_token"]) == 200
    assert other_socket.connected
    await other_device.aclose()


async def _ok(http: httpx.AsyncClient, stack: Stack, token: str) -> bool:
    """Whether the token is accepted; /api/me answers 404 until a brand-new account is projected, so wait past it."""

    async def answered() -> int | None:
        status = await _me(http, stack, token)
        return None if status == 404 else status

    return await eventually(answered, what="an answer other than 404 from /api/me") == 200


async def test_log_out_everywhere_ends_every_session(
    http: httpx.AsyncClient, stack: Stack, sockets: SocketFactory, mongo: AsyncMongoClient[dict[str, Any]]
) -> None:
    user = await register(http, stack)
    device, second = await _login(stack, user["user"]["email"], user["password"])
    async with httpx.AsyncClient(timeout=10) as elsewhere:  # its own cookie jar
        bystander = await register(elsewhere, stack)
    first_socket = await sockets(stack.url("realtime"), user["access_token"])
    second_socket = await sockets(stack.url("realtime2"), second["access_token"])
    bystander_socket = await sockets(stack.url("realtime"), bystander["access_token"])

    answer = await device.post(f"{stack.url('command')}/api/auth/logout-all", headers=bearer(second["access_token"]))
    assert answer.status_code == 204
    for token in (user["access_token"], second["access_token"]):
        await _refused_everywhere(http, stack, token)
    await _cut_off(first_socket)
    await _cut_off(second_socket)
    assert (await device.post(f"{stack.url('command')}/api/auth/refresh")).status_code == 401
    assert (await http.post(f"{stack.url('command')}/api/auth/refresh")).status_code == 401
    assert bystander_socket.connected
    # A new login works, and is a new session.
    again, third = await _login(stack, user["user"]["email"], user["password"])
    assert await _ok(http, stack, third["access_token"])
    types = await _session_events(mongo, stack, user["user"]["id"])
    assert types == ["AllSessionsEnded"]
    await device.aclose()
    await again.aclose()


async def _session_events(mongo: AsyncMongoClient[dict[str, Any]], stack: Stack, user_id: str) -> list[str]:
    events = mongo[stack.name]["events"]
    found = events.find({"stream": {"$in": [f"sessions:{user_id}", f"credentials:{user_id}"]}}).sort("_id", 1)
    return [doc["type"] async for doc in found]


async def test_password_change_ends_the_other_sessions_and_is_in_the_log(
    http: httpx.AsyncClient, stack: Stack, sockets: SocketFactory, mongo: AsyncMongoClient[dict[str, Any]]
) -> None:
    user = await register(http, stack)
    email, old = user["user"]["email"], user["password"]
    device, other = await _login(stack, email, old)
    other_socket = await sockets(stack.url("realtime"), other["access_token"])
    own_socket = await sockets(stack.url("realtime2"), user["access_token"])
    url = f"{stack.url('command')}/api/auth/password"
    headers = bearer(user["access_token"])

    wrong = await http.post(
        url, json={"current_password": "not it at all", "new_password": "a new secret"}, headers=headers
    )
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["loc"] == ["body", "current_password"]
    short = await http.post(url, json={"current_password": old, "new_password": "short"}, headers=headers)
    assert short.status_code == 422

    answer = await http.post(url, json={"current_password": old, "new_password": "a new secret"}, headers=headers)
    assert answer.status_code == 204
    await _refused_everywhere(http, stack, other["access_token"])
    await _cut_off(other_socket)
    # The session that changed it goes on, and can still renew.
    assert await _ok(http, stack, user["access_token"])
    assert own_socket.connected
    renewed = await http.post(f"{stack.url('command')}/api/auth/refresh")
    assert renewed.status_code == 200
    assert await _ok(http, stack, renewed.json()["access_token"])
    login = f"{stack.url('command')}/api/auth/login"
    assert (await http.post(login, json={"email": email, "password": old})).status_code == 401
    assert (await http.post(login, json={"email": email, "password": "a new secret"})).status_code == 200
    assert await _session_events(mongo, stack, user["user"]["id"]) == ["PasswordChanged", "AllSessionsEnded"]
    await device.aclose()


async def test_refresh_renews_the_session_from_its_cookie(http: httpx.AsyncClient, stack: Stack) -> None:
    user = await register(http, stack)
    assert user["expires_in"] == 15 * 60
    cookie = http.cookies.get("parley_refresh")
    assert cookie
    renewed = await http.post(f"{stack.url('command')}/api/auth/refresh")
    assert renewed.status_code == 200, renewed.text
    token = renewed.json()["access_token"]
    assert token != user["access_token"]
    assert await _ok(http, stack, token)
    set_cookie = renewed.headers["set-cookie"].lower()
    assert "httponly" in set_cookie and "samesite=strict" in set_cookie and "path=/api/auth" in set_cookie
    # Without the cookie, or with an access token in its place: 401.
    async with httpx.AsyncClient(timeout=10) as stranger:
        assert (await stranger.post(f"{stack.url('command')}/api/auth/refresh")).status_code == 401
        stranger.cookies.set("parley_refresh", user["access_token"])
        assert (await stranger.post(f"{stack.url('command')}/api/auth/refresh")).status_code == 401
    # Logging out with a renewed token ends the whole session, the first token too.
    assert (await http.post(f"{stack.url('command')}/api/auth/logout", headers=bearer(token))).status_code == 204
    await _refused_everywhere(http, stack, user["access_token"])


async def test_logout_needs_a_token(http: httpx.AsyncClient, stack: Stack) -> None:
    for path in ("logout", "logout-all", "password"):
        assert (await http.post(f"{stack.url('command')}/api/auth/{path}")).status_code == 401


TTL = 12


@pytest.fixture(scope="module")
def short_tokens(infra: Infra) -> Iterator[Stack]:
    """Access tokens of a few seconds: sockets must be handed a renewed token or they are cut off."""
    stack = Stack(infra, infra.nats, extra_env={"PARLEY_JWT_TTL_SECONDS": str(TTL)}).start()
    try:
        yield stack
    finally:
        stack.stop()


async def test_a_socket_is_cut_off_when_its_token_expires_unless_renewed(
    short_tokens: Stack, sockets: SocketFactory
) -> None:
    stack = short_tokens
    async with httpx.AsyncClient(timeout=10) as http:
        user = await register(http, stack)
        started = time.monotonic()
        stale = await sockets(stack.url("realtime"), user["access_token"])
        kept = await sockets(stack.url("realtime"), user["access_token"])
        async with httpx.AsyncClient(timeout=10) as elsewhere:  # its own cookie jar
            other = await register(elsewhere, stack)
        refused = await kept.call("renew", {"token": other["access_token"]}, timeout=5)
        assert refused == {"ok": False, "error": "a token of another user"}

        async def near_expiry() -> bool:  # the client renews a little before its token runs out
            return time.monotonic() - started > TTL - 5

        await eventually(near_expiry, timeout=TTL, what="the first token near its expiry")
        renewed = await http.post(f"{stack.url('command')}/api/auth/refresh")
        assert renewed.status_code == 200
        answer = await kept.call("renew", {"token": renewed.json()["access_token"]}, timeout=5)
        assert answer["ok"] is True
        await eventually(lambda: _gone(stale), timeout=TTL, what="the stale socket cut off")
        assert received(stale, "session_ended") == [{"reason": "token expired"}]
        assert kept.connected
        # Without another renewal, the kept socket goes when the renewed token does.
        await eventually(lambda: _gone(kept), timeout=TTL + 3, what="the renewed socket cut off at its expiry")


async def _gone(client: socketio.AsyncClient) -> bool:
    return not client.connected


@pytest.fixture(scope="module")
def restartable(infra: Infra) -> Iterator[Stack]:
    stack = Stack(infra, infra.nats).start()
    try:
        yield stack
    finally:
        stack.stop()


def _restart(stack: Stack, name: str) -> None:
    process = stack.process(name)
    process.stop()
    process.start()
    stack.wait_ready(name)


async def test_a_restarted_service_still_refuses_ended_sessions(restartable: Stack, sockets: SocketFactory) -> None:
    """What ended before a process started is read back from the bus (the last access-token lifetime of session
    events), not forgotten: no token comes back to life with a restart."""
    stack = restartable
    async with httpx.AsyncClient(timeout=10) as http:
        user = await register(http, stack)
        everywhere = await register(http, stack)
        token, other = user["access_token"], everywhere["access_token"]
        await eventually(lambda: _ok(http, stack, token), what="the read model has the user")
        assert (await http.post(f"{stack.url('command')}/api/auth/logout", headers=bearer(token))).status_code == 204
        ended = await http.post(f"{stack.url('command')}/api/auth/logout-all", headers=bearer(other))
        assert ended.status_code == 204
        await _refused_everywhere(http, stack, token)
        for name in ("command", "query", "realtime"):
            _restart(stack, name)
        for ended_token in (token, other):
            assert await _command(http, stack, ended_token) == 401
            assert await _me(http, stack, ended_token) == 401
            with pytest.raises(socketio.exceptions.ConnectionError):
                await sockets(stack.url("realtime"), ended_token)
        # A live session still works after the restarts.
        async with httpx.AsyncClient(timeout=10) as device:
            fresh = await device.post(
                f"{stack.url('command')}/api/auth/login",
                json={"email": user["user"]["email"], "password": user["password"]},
            )
            assert fresh.status_code == 200
            assert await _ok(http, stack, fresh.json()["access_token"])

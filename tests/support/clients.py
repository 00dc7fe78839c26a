"""What tests do as clients of a running stack: sign people up, read the sidebar, send, read what sockets heard,
run the `parley` command, and raw HTTP through a gateway or a socket."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import time
import uuid
from typing import Any

import httpx

from tests.support.stack import Stack, unique


async def register(client: httpx.AsyncClient, stack: Stack, name: str = "Test User", **kw: Any) -> dict[str, Any]:
    """Register a fresh user; returns the response body (user, access_token)."""
    body = {"name": name, "email": f"{unique('u')}@example.com", "password": "correct horse battery", **kw}
    response = await client.post(f"{stack.url('command')}/api/auth/register", json=body)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    result["password"] = body["password"]
    return result


async def sidebar(client: httpx.AsyncClient, stack: Stack, token: str) -> list[dict[str, Any]]:
    """Every page of ``GET /api/users`` (the sidebar), in order."""
    people: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 100, **({"cursor": cursor} if cursor else {})}
        response = await client.get(f"{stack.url('query')}/api/users", params=params, headers=bearer(token))
        response.raise_for_status()
        page = response.json()
        people += page["users"]
        cursor = page["next_cursor"]
        if cursor is None:
            return people


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def send_text(
    client: httpx.AsyncClient,
    stack: Stack,
    sender: dict[str, Any],
    to: str,
    text: str,
    client_msg_id: str | None = None,
) -> httpx.Response:
    return await client.post(
        f"{stack.url('command')}/api/messages",
        json={"to": to, "type": "text", "text": text, "client_msg_id": client_msg_id or uuid.uuid4().hex},
        headers=bearer(sender["access_token"]),
    )


def received(socket: Any, event: str) -> list[Any]:
    """Payloads of ``event`` a test socket has received so far."""
    return [data for name, data in socket.received if name == event]


def presence_changes(socket: Any) -> list[dict[str, Any]]:
    """Every presence change a test socket has heard, in order, whether pushed alone or in a batch."""
    changes: list[dict[str, Any]] = []
    for name, data in socket.received:
        if name == "presence":
            changes.append(data)
        elif name == "presences":
            changes.extend(data["changes"])
    return changes


async def parley(stack: Stack, *args: str, timeout: float = 150) -> tuple[int, str, str]:
    """Run the `parley` command against the stack; returns (exit status, stdout, stderr)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "parley_cli.main",
        *args,
        env={**os.environ, **stack.env, "PARLEY_LOG_LEVEL": "WARNING"},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=timeout)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def logins_claiming_other_addresses(base_url: str, attempts: int = 5) -> list[int]:
    """Failed logins through a gateway, each claiming another client address: their status codes. A gateway that
    sets the address it sees (rather than passing the claim on) gets them counted against one address."""
    codes = []
    for i in range(attempts):
        response = httpx.post(
            f"{base_url}/api/auth/login",
            json={"email": f"{uuid.uuid4().hex[:12]}@example.com", "password": "wrong password"},
            headers={"X-Forwarded-For": f"203.0.113.{i + 1}", "X-Real-IP": f"203.0.113.{i + 1}"},
            timeout=10,
        )
        codes.append(response.status_code)
    return codes


def post_announcing(url: str, path: str, length: int, sent: int) -> tuple[int, bytes, float]:
    """POST announcing ``length`` bytes and sending ``sent`` of them: the status line and body, and how long."""
    host, port = url.removeprefix("http://").split(":")
    started = time.perf_counter()
    with socket.create_connection((host, int(port)), timeout=10) as conn:
        conn.sendall(
            f"POST {path} HTTP/1.1\r\nHost: localhost:8080\r\nContent-Type: application/octet-stream\r\n"
            f"Content-Length: {length}\r\n\r\n".encode()
        )
        try:
            conn.sendall(b"x" * sent)
        except OSError:
            pass  # refused part-way: the answer is still there to read
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            chunk = conn.recv(65536)
            if not chunk:
                break
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split()[1]), body, time.perf_counter() - started

"""The web gateway (gateway/Caddyfile, run by the pinned Caddy in bin/) in front of a stack with two realtime nodes:
routing by path, the client's address set rather than appended, the security headers, bodies over the limits
refused with the services' JSON 413 before they reach a service, the client's files with their caching, and
long-polling sockets kept on one node. The file is used as shipped; only the environment says where things are.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import SocketFactory
from tests.support import (
    CADDY,
    ROOT,
    Infra,
    Stack,
    bearer,
    eventually,
    free_port,
    gateway_process,
    holds,
    logins_claiming_other_addresses,
    post_announcing,
    wait_for_port,
)

pytestmark = pytest.mark.skipif(not CADDY.exists(), reason="no bin/caddy (scripts/install-caddy.sh)")


@dataclass
class Gateway:
    url: str
    stack: Stack


@pytest.fixture(scope="module")
def gateway(infra: Infra, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    """Caddy with the shipped Caddyfile before a stack of two realtime nodes allowing three failed logins per
    client address; the web root a stand-in for the built client."""
    stack = Stack(infra, infra.nats, realtime_nodes=2, extra_env={"PARLEY_LOGIN_ADDRESS_LIMIT": "3"}).start()
    web = tmp_path_factory.mktemp("web")
    (web / "index.html").write_text("<!doctype html><title>Parley</title>")
    (web / "assets").mkdir()
    (web / "assets" / "index-abc123.js").write_text("console.log('parley');\n" * 200)
    port = free_port()
    caddy = gateway_process(stack, port, web, web.parent).start()
    try:
        wait_for_port(caddy, port)
        yield Gateway(f"http://127.0.0.1:{port}", stack)
    finally:
        caddy.stop()
        stack.stop()


def test_requests_reach_the_service_of_their_path(gateway: Gateway) -> None:
    register = httpx.post(f"{gateway.url}/api/auth/register", json={"name": "No email"})
    assert register.status_code == 422 and "detail" in register.json()  # the command API
    me = httpx.get(f"{gateway.url}/api/me")
    assert me.status_code == 401 and "detail" in me.json()  # the query API
    assert httpx.get(f"{gateway.url}/api/profiles").status_code == 404  # query side: no such route, JSON
    assert httpx.get(f"{gateway.url}/socket.io/?EIO=4&transport=polling").status_code == 200


def test_a_client_cannot_choose_its_address(gateway: Gateway) -> None:
    assert logins_claiming_other_addresses(gateway.url) == [401] * 3 + [429] * 2


def test_every_answer_carries_the_security_headers(gateway: Gateway) -> None:
    for path in ("/", "/chat/someone", "/assets/index-abc123.js", "/api/users", "/api/auth/login"):
        response = httpx.get(f"{gateway.url}{path}")
        policy = response.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in policy and "script-src 'self';" in policy, path
        assert response.headers["X-Content-Type-Options"] == "nosniff", path
        assert response.headers["Referrer-Policy"] == "no-referrer", path
        assert "Server" not in response.headers, path


def test_the_client_is_served_with_its_caching_and_compressed(gateway: Gateway) -> None:
    page = httpx.get(f"{gateway.url}/chat/someone")  # a client-side route: the app's page
    assert page.status_code == 200 and "<title>Parley</title>" in page.text
    assert page.headers["Cache-Control"] == "no-cache"
    bundle = httpx.get(f"{gateway.url}/assets/index-abc123.js", headers={"Accept-Encoding": "gzip"})
    assert bundle.status_code == 200 and bundle.headers["Content-Encoding"] == "gzip"
    assert "immutable" in bundle.headers["Cache-Control"]
    assert httpx.get(f"{gateway.url}/assets/missing.js").status_code in (200, 404)


def test_a_body_over_the_limit_is_refused_with_json_before_it_is_sent(gateway: Gateway) -> None:
    status, body, seconds = post_announcing(gateway.url, "/api/uploads", 26 * 1024 * 1024, 1024 * 1024)
    assert status == 413 and b'"detail"' in body and seconds < 5
    status, body, _ = post_announcing(gateway.url, "/api/messages", 2 * 1024 * 1024, 1024)
    assert status == 413 and b'"detail"' in body


async def test_long_polling_sockets_stay_on_one_node_and_get_pushes(gateway: Gateway, sockets: SocketFactory) -> None:
    async with httpx.AsyncClient(timeout=10) as http:
        ada = await _register(http, gateway, "Ada")
        bob = await _register(http, gateway, "Bob")
        # Several polling sockets: each handshake picks a node, and its later requests must go to the same one.
        # (By name: a client keeps no cookie for a bare IP address, a browser does.)
        url = gateway.url.replace("127.0.0.1", "localhost")
        bobs = [await sockets(url, bob["access_token"], transports=["polling"]) for _ in range(4)]
        sent = await http.post(
            f"{gateway.url}/api/messages",
            json={
                "to": bob["user"]["id"],
                "type": "text",
                "text": "via the gateway",
                "client_msg_id": uuid.uuid4().hex,
            },
            headers=bearer(ada["access_token"]),
        )
        assert sent.status_code == 201, sent.text
        message_id = sent.json()["message"]["id"]

        def pushed(client: Any) -> bool:
            return any(event == "message" and data["id"] == message_id for event, data in client.received)

        await eventually(lambda: holds(all(pushed(s) for s in bobs)), what="every socket got the push")


async def _register(http: httpx.AsyncClient, gateway: Gateway, name: str) -> dict[str, Any]:
    body = {"name": name, "email": f"{uuid.uuid4().hex[:12]}@example.com", "password": "correct horse battery"}
    response = await http.post(f"{gateway.url}/api/auth/register", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_the_file_is_valid_for_caddy(tmp_path: Path) -> None:
    check = subprocess.run(
        [str(CADDY), "validate", "--config", str(ROOT / "gateway" / "Caddyfile"), "--adapter", "caddyfile"],
        env={**os.environ, "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert check.returncode == 0 and "Valid configuration" in check.stdout + check.stderr, check.stderr

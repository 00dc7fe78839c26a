"""No known secret signs anything (issue 10, item 1): `make up` makes random keys, the services refuse to run
without one, and a token signed with the placeholder that used to be in the source is refused."""

from __future__ import annotations

import os
import stat
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import jwt
import pytest

from tests.support import ROOT, Infra, Stack, bearer, eventually, register, unique

# The development default that every `make up` used to sign with.
OLD_PLACEHOLDER = "parley-development-secret-change-me"


def _make_up_secrets(path: Path) -> dict[str, str]:
    """What `make up` does on its first start (Makefile), read back as the environment the runner gives the services."""
    subprocess.run([str(ROOT / "scripts" / "dev-secrets.sh"), str(path)], check=True, capture_output=True)
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


def test_make_up_makes_random_private_secrets_once(tmp_path: Path) -> None:
    first = _make_up_secrets(tmp_path / "a" / "secrets.env")
    assert set(first) == {"PARLEY_JWT_SECRET", "PARLEY_MEDIA_URL_KEY"}
    assert all(len(value) >= 32 for value in first.values())
    assert first["PARLEY_JWT_SECRET"] != first["PARLEY_MEDIA_URL_KEY"]
    assert stat.S_IMODE(os.stat(tmp_path / "a" / "secrets.env").st_mode) == 0o600
    assert _make_up_secrets(tmp_path / "a" / "secrets.env") == first  # reused on the next start
    assert _make_up_secrets(tmp_path / "b" / "secrets.env") != first  # another checkout, other secrets


@pytest.fixture(scope="module")
def make_up_stack(infra: Infra, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A stack configured the way `make up` runs it: development mode, keys from scripts/dev-secrets.sh."""
    keys = _make_up_secrets(tmp_path_factory.mktemp("secrets") / "secrets.env")
    stack = Stack(
        infra,
        infra.nats,
        jwt_secret=keys["PARLEY_JWT_SECRET"],
        media_url_key=keys["PARLEY_MEDIA_URL_KEY"],
        extra_env={"PARLEY_ENV": "development"},
    ).start()
    try:
        yield stack
    finally:
        stack.stop()


async def test_a_token_signed_with_the_old_placeholder_is_refused(
    http: httpx.AsyncClient, make_up_stack: Stack
) -> None:
    stack = make_up_stack
    victim = await register(http, stack, name=unique("Victim "))
    now = int(time.time())
    claims = {"sub": victim["user"]["id"], "iat": now, "exp": now + 3600, "jti": "forged"}
    forged = jwt.encode(claims, OLD_PLACEHOLDER, algorithm="HS256")
    for url in (f"{stack.url('query')}/api/me", f"{stack.url('query')}/api/users"):
        assert (await http.get(url, headers=bearer(forged))).status_code == 401
    message = {"to": victim["user"]["id"], "type": "text", "text": "as you", "client_msg_id": unique("m")}
    sent = await http.post(f"{stack.url('command')}/api/messages", json=message, headers=bearer(forged))
    assert sent.status_code == 401

    async def own_token_works() -> bool:
        me = await http.get(f"{stack.url('query')}/api/me", headers=bearer(victim["access_token"]))
        return me.status_code == 200

    await eventually(own_token_works, what="the real token is accepted")


@pytest.mark.parametrize(
    ("service", "secret"),
    [
        ("command_api.main", ""),
        ("query_api.main", ""),
        ("realtime", ""),
        ("command_api.main", OLD_PLACEHOLDER),
        ("realtime", "too-short"),
    ],
)
def test_services_refuse_to_start_without_a_strong_secret(infra: Infra, service: str, secret: str) -> None:
    stack = Stack(infra, infra.nats, jwt_secret=secret, extra_env={"PARLEY_ENV": "development"})
    # Port 1: it must never get as far as listening.
    process = stack.realtime_node(service, 1) if service == "realtime" else stack._uvicorn(service, service, 1)
    process.start()
    try:
        assert process.proc is not None
        process.proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{service} started with the secret {secret!r}")
    finally:
        process.kill()
    assert process.proc.returncode != 0
    assert "PARLEY_JWT_SECRET" in process.tail(80)

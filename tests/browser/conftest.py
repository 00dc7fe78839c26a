"""Browser end-to-end tests: the real stack, the Vite web origin in front of it, and headless Chromium.

They need Playwright's Python package (`pip install playwright`; no browser download, Debian's Chromium is used)
and /usr/bin/chromium; without either they are skipped.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support import ROOT, Infra, Process, Stack, free_port, wait_until

CHROMIUM = Path(os.environ.get("PARLEY_CHROMIUM", "/usr/bin/chromium"))
if not CHROMIUM.exists():
    pytest.skip(f"no Chromium at {CHROMIUM}", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright's Python package is not installed")

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "correct horse battery"


class Web:
    """The web origin (Vite dev server proxying to a private stack) and direct API access for seeding."""

    def __init__(self, stack: Stack, port: int) -> None:
        self.stack = stack
        self.url = f"http://127.0.0.1:{port}"

    def register(self, name: str) -> dict[str, Any]:
        body = {"name": name, "email": f"{uuid.uuid4().hex[:12]}@example.com", "password": PASSWORD}
        response = httpx.post(f"{self.stack.url('command')}/api/auth/register", json=body, timeout=10)
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        result["email"] = body["email"]
        return result

    def send_text(self, sender: dict[str, Any], to: str, text: str) -> dict[str, Any]:
        response = httpx.post(
            f"{self.stack.url('command')}/api/messages",
            json={"to": to, "type": "text", "text": text, "client_msg_id": str(uuid.uuid4())},
            headers={"Authorization": f"Bearer {sender['access_token']}"},
            timeout=10,
        )
        assert response.status_code == 201, response.text
        message: dict[str, Any] = response.json()["message"]
        return message


@pytest.fixture(scope="session")
def web(infra: Infra) -> Iterator[Web]:
    """A private stack (so the browser's Origin is allowed) with Vite serving the client in front of it."""
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    stack = Stack(
        infra,
        infra.nats,
        extra_env={
            "PARLEY_ALLOWED_ORIGINS": origin,
            "PARLEY_MESSAGE_RATE": "50",
            "PARLEY_MESSAGE_BURST": "200",
        },
    ).start()
    vite = Process(
        "vite",
        [str(ROOT / "frontend" / "node_modules" / ".bin" / "vite"), "--clearScreen", "false"],
        infra.workdir / f"{stack.name}-vite.log",
        env={
            "PARLEY_WEB_HOST": "127.0.0.1",
            "PARLEY_WEB_PORT": str(port),
            "PARLEY_COMMAND_URL": stack.url("command"),
            "PARLEY_QUERY_URL": stack.url("query"),
            "PARLEY_REALTIME_URL": stack.url("realtime"),
        },
        cwd=ROOT / "frontend",
    ).start()

    def serving() -> bool:
        if not vite.running:
            raise RuntimeError(f"vite exited:\n{vite.tail()}")
        try:
            return httpx.get(origin, timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_until(serving, timeout=60, what="vite serving")
        yield Web(stack, port)
    finally:
        vite.stop()
        stack.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


PageFactory = Callable[..., Any]


@pytest.fixture
def new_page(browser: Any, web: Web) -> Iterator[PageFactory]:
    """Opens pages in fresh browser contexts (separate localStorage: separate people)."""
    contexts: list[Any] = []

    def open_page(width: int = 1280, height: int = 800, token: str | None = None) -> Any:
        context = browser.new_context(viewport={"width": width, "height": height}, base_url=web.url)
        context.set_default_timeout(15_000)
        if token:
            context.add_init_script(f"localStorage.setItem('parley.token', {token!r})")
        contexts.append(context)
        return context.new_page()

    try:
        yield open_page
    finally:
        for context in contexts:
            context.close()


def unique_name(first: str) -> str:
    return f"{first} {uuid.uuid4().hex[:6]}"


def sign_up(page: Any, name: str, email: str | None = None) -> str:
    """Create an account through the form; returns the email used."""
    email = email or f"{uuid.uuid4().hex[:12]}@example.com"
    page.goto("/")
    page.get_by_role("button", name="Sign up").click()
    page.get_by_label("Name").fill(name)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    sync_api.expect(page.get_by_role("button", name="Log out")).to_be_visible()
    return email


def person(page: Any, name: str) -> Any:
    """The sidebar entry of `name` (its accessible name is "<name>, online|offline")."""
    import re

    return page.get_by_role("button", name=re.compile(rf"^{re.escape(name)}, (online|offline)$"))

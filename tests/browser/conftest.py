"""Browser end-to-end tests: the real stack, the Vite web origin in front of it, and headless Chromium.

They need Playwright's Python package (`pip install playwright`; it downloads no browser here, Debian's
Chromium at /usr/bin/chromium is used). Without either, this folder is not collected.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support import ROOT, Infra, Process, Stack, free_port, wait_until

CHROMIUM = Path(os.environ.get("PARLEY_CHROMIUM", "/usr/bin/chromium"))

if importlib.util.find_spec("playwright") is None or not CHROMIUM.exists():
    collect_ignore_glob = ["test_*.py"]
else:
    from tests.browser.helpers import CHROMIUM_ARGS, PageFactory, Web

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
            yield Web(stack, origin)
        finally:
            vite.stop()
            stack.stop()

    @pytest.fixture(scope="session")
    def browser() -> Iterator[Any]:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                yield chromium
            finally:
                chromium.close()

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

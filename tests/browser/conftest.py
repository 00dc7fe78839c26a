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

import pytest

from tests.support import Infra

CHROMIUM = Path(os.environ.get("PARLEY_CHROMIUM", "/usr/bin/chromium"))

if importlib.util.find_spec("playwright") is None or not CHROMIUM.exists():
    collect_ignore_glob = ["test_*.py"]
else:
    from tests.browser.helpers import CHROMIUM_ARGS, PageFactory, Web, page_factory, running_web

    @pytest.fixture(scope="session")
    def web(infra: Infra) -> Iterator[Web]:
        """The web origin shared by the browser tests (each test makes its own people)."""
        with running_web(infra) as running:
            yield running

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
        with page_factory(browser, web) as open_page:
            yield open_page

"""The web origin in front of the services (the Vite server of `make up` and the browser tests): it names the
client's address itself (issue 10, item 4) and sends the security headers (item 11)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.browser.helpers import Web, running_web
from tests.support import Infra, logins_claiming_other_addresses


@pytest.fixture(scope="module")
def strict_web(infra: Infra) -> Iterator[Web]:
    """A web origin whose services allow three failed logins per client address."""
    with running_web(infra, extra_env={"PARLEY_LOGIN_ADDRESS_LIMIT": "3"}) as running:
        yield running


def test_a_client_cannot_choose_its_address_through_the_gateway(strict_web: Web) -> None:
    assert logins_claiming_other_addresses(strict_web.url) == [401] * 3 + [429] * 2


def test_the_web_origin_sends_security_headers(web: Web) -> None:
    page = httpx.get(web.url, headers={"Accept": "text/html"}, timeout=10)
    assert page.status_code == 200
    policy = {
        directive.split()[0]: directive.split()[1:]
        for directive in page.headers["Content-Security-Policy"].split(";")
        if directive.strip()
    }
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["default-src"] == ["'self'"]
    assert policy["connect-src"] == ["'self'"]
    assert "'unsafe-inline'" not in policy["script-src"] and "'unsafe-eval'" not in policy["script-src"]
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Referrer-Policy"] == "no-referrer"

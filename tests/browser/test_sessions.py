"""Sessions in the browser: no token in localStorage, a reload keeps the session, "Log out everywhere" ends
every device's session at once."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import (
    PASSWORD,
    PageFactory,
    Web,
    messages,
    page_factory,
    person,
    running_web,
    sign_up,
    unique_name,
)
from tests.support import Infra


def test_log_out_everywhere_signs_out_every_device(web: Web, new_page: PageFactory) -> None:
    laptop = new_page()
    name = unique_name("Sessions")
    email = sign_up(laptop, name, f"{uuid.uuid4().hex[:12]}@example.com")
    # The access token lives in memory only; a reload gets a new one from the HttpOnly cookie.
    assert laptop.evaluate("() => Object.keys(localStorage).filter(k => k.includes('token'))") == []
    assert laptop.evaluate("() => document.cookie") == ""
    laptop.reload()
    expect(laptop.get_by_role("button", name="Log out")).to_be_visible()

    phone = new_page(width=390, height=844)
    phone.goto("/")
    phone.get_by_label("Email").fill(email)
    phone.get_by_label("Password").fill(PASSWORD)
    phone.get_by_role("button", name="Log in").click()
    expect(phone.get_by_role("button", name="Log out")).to_be_visible()

    laptop.get_by_role("button", name=f"Edit profile: {name}").click()
    laptop.get_by_role("button", name="Log out everywhere").click()
    expect(laptop.get_by_role("button", name="Log in")).to_be_visible()
    # The phone's socket is cut off and its renewal refused: it signs out by itself.
    expect(phone.get_by_role("button", name="Log in")).to_be_visible(timeout=10_000)
    phone.reload()
    expect(phone.get_by_role("button", name="Log in")).to_be_visible()
    laptop.reload()
    expect(laptop.get_by_role("button", name="Log in")).to_be_visible()


@pytest.fixture(scope="module")
def short_web(infra: Infra) -> Iterator[Web]:
    """Access tokens of 10 seconds: the app renews every 8 s."""
    with running_web(infra, {"PARLEY_JWT_TTL_SECONDS": "10"}) as running:
        yield running


def _is_refresh(response: Any) -> bool:
    return bool(response.url.endswith("/api/auth/refresh") and response.request.method == "POST")


def test_the_app_renews_its_token_silently_and_keeps_its_socket(browser: Any, short_web: Web) -> None:
    me = short_web.register(unique_name("Renewer"))
    with page_factory(browser, short_web) as open_page:
        page = open_page(token=me["access_token"])
        with page.expect_response(_is_refresh) as loaded:  # the session from the cookie, on load
            page.goto("/")
        assert loaded.value.status == 200
        expect(page.get_by_role("button", name="Log out")).to_be_visible()
        for _ in range(2):  # two silent renewals: by the second, the first two tokens have expired
            with page.expect_response(_is_refresh, timeout=30_000) as renewed:
                pass
            assert renewed.value.status == 200
        # Still signed in; the socket still gets pushes (it was handed each new token); sending still works.
        friend = short_web.register(unique_name("Friend"))  # now: its own token lives 10 s too
        short_web.send_text(friend, me["user"]["id"], "still there?")
        person(page, friend["user"]["name"]).click()
        expect(messages(page)).to_have_text(["still there?"])
        page.get_by_label("Message").fill("yes")
        page.get_by_role("button", name="Send").click()
        expect(messages(page)).to_have_text(["still there?", "yes"])
        expect(page.get_by_role("button", name="Log out")).to_be_visible()

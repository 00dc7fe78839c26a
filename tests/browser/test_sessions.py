"""Sessions in the browser: no token in localStorage, a reload keeps the session, "Log out everywhere" ends
every device's session at once."""

from __future__ import annotations

import uuid

from playwright.sync_api import expect

from tests.browser.helpers import PASSWORD, PageFactory, Web, sign_up, unique_name


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

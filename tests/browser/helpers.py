"""Helpers for the browser tests (imported only when Playwright is installed)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

import httpx
from playwright.sync_api import expect

from tests.support import Stack

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "correct horse battery"
PageFactory = Callable[..., Any]


class Web:
    """The web origin (Vite proxying to a private stack), plus direct API calls for seeding."""

    def __init__(self, stack: Stack, url: str) -> None:
        self.stack = stack
        self.url = url

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
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    return email


def person(page: Any, name: str) -> Any:
    """The sidebar entry of `name` (its accessible name is "<name>, online|offline")."""
    return page.get_by_role("button", name=re.compile(rf"^{re.escape(name)}, (online|offline)$"))


def messages(page: Any) -> Any:
    return page.get_by_test_id("message")

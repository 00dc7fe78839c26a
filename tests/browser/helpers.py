"""Helpers for the browser tests (imported only when Playwright is installed)."""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from playwright.sync_api import expect

from tests.support import ROOT, Infra, Stack, free_port, gateway_process, wait_until

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
    """The web origin (the gateway before a private stack), plus direct API calls for seeding."""

    def __init__(self, stack: Stack, url: str) -> None:
        self.stack = stack
        self.url = url
        # access token -> the refresh cookie of its session: a page opened "with a token" gets the session.
        self.refresh_cookies: dict[str, str] = {}

    def register(self, name: str, email: str | None = None) -> dict[str, Any]:
        body = {"name": name, "email": email or f"{uuid.uuid4().hex[:12]}@example.com", "password": PASSWORD}
        response = httpx.post(f"{self.stack.url('command')}/api/auth/register", json=body, timeout=10)
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        result["email"] = body["email"]
        self.refresh_cookies[result["access_token"]] = response.cookies["parley_refresh"]
        # Seeded people are in the read models before a page opens (a sign-up arriving live is tested apart).
        profile = f"{self.stack.url('query')}/api/me"
        headers = {"Authorization": f"Bearer {result['access_token']}"}
        wait_until(
            lambda: httpx.get(profile, headers=headers, timeout=10).status_code == 200,
            timeout=15,
            interval=0.02,
            what=f"{name} projected",
        )
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

    def upload(self, sender: dict[str, Any], name: str, data: bytes, mime: str) -> dict[str, Any]:
        response = httpx.post(
            f"{self.stack.url('command')}/api/uploads",
            files={"file": (name, data, mime)},
            headers={"Authorization": f"Bearer {sender['access_token']}"},
            timeout=30,
        )
        assert response.status_code == 201, response.text
        media: dict[str, Any] = response.json()["media"]
        return media

    def send_media(
        self, sender: dict[str, Any], to: str, name: str, data: bytes, mime: str, caption: str = ""
    ) -> dict[str, Any]:
        media = self.upload(sender, name, data, mime)
        response = httpx.post(
            f"{self.stack.url('command')}/api/messages",
            json={
                "to": to,
                "type": media["kind"],
                "text": caption,
                "media_id": media["id"],
                "client_msg_id": str(uuid.uuid4()),
            },
            headers={"Authorization": f"Bearer {sender['access_token']}"},
            timeout=10,
        )
        assert response.status_code == 201, response.text
        message: dict[str, Any] = response.json()["message"]
        return message

    def set_avatar(self, person: dict[str, Any], data: bytes, mime: str = "image/png") -> dict[str, Any]:
        media = self.upload(person, "avatar.png", data, mime)
        response = httpx.put(
            f"{self.stack.url('command')}/api/profile",
            json={"avatar_media_id": media["id"]},
            headers={"Authorization": f"Bearer {person['access_token']}"},
            timeout=10,
        )
        assert response.status_code == 200, response.text
        user: dict[str, Any] = response.json()["user"]
        return user

    def mark_read(self, reader: dict[str, Any], peer_id: str, up_to_seq: int) -> None:
        response = httpx.post(
            f"{self.stack.url('command')}/api/messages/read",
            json={"peer_id": peer_id, "up_to_seq": up_to_seq},
            headers={"Authorization": f"Bearer {reader['access_token']}"},
            timeout=10,
        )
        assert response.status_code == 200, response.text


@contextmanager
def running_web(infra: Infra, extra_env: dict[str, str] | None = None) -> Iterator[Web]:
    """A private stack (so the browser's Origin is allowed) of two realtime nodes behind the web gateway as
    shipped, serving the built client (frontend/dist: `make test` builds it): what `make up` runs."""
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    stack = Stack(
        infra,
        infra.nats,
        realtime_nodes=2,
        extra_env={
            "PARLEY_ALLOWED_ORIGINS": origin,
            "PARLEY_MESSAGE_RATE": "50",
            "PARLEY_MESSAGE_BURST": "200",
            **(extra_env or {}),
        },
    ).start()
    gateway = gateway_process(stack, port, ROOT / "frontend" / "dist", infra.workdir).start()

    def serving() -> bool:
        if not gateway.running:
            raise RuntimeError(f"the gateway exited:\n{gateway.tail()}")
        try:
            return httpx.get(origin, timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_until(serving, timeout=60, what="the gateway serving")
        yield Web(stack, origin)
    finally:
        gateway.stop()
        stack.stop()


@contextmanager
def page_factory(browser: Any, web: Web) -> Iterator[PageFactory]:
    """Opens pages in fresh browser contexts (separate cookies: separate people) on `web`.

    Every page reports what the Content-Security-Policy blocked; a test whose pages hit the policy fails: the app
    must work under it.
    """
    contexts: list[Any] = []
    blocked: list[str] = []

    def open_page(width: int = 1280, height: int = 800, token: str | None = None) -> Any:
        context = browser.new_context(viewport={"width": width, "height": height}, base_url=web.url)
        context.set_default_timeout(15_000)
        if token:
            # The session of a person registered over the API: its HttpOnly refresh cookie, as a login sets it.
            host = web.url.split("//", 1)[1].split(":", 1)[0]
            cookie = {"name": "parley_refresh", "value": web.refresh_cookies[token], "domain": host}
            context.add_cookies([{**cookie, "path": "/api/auth", "httpOnly": True, "sameSite": "Strict"}])
        contexts.append(context)
        page = context.new_page()
        page.on(
            "console",
            lambda message: blocked.append(message.text) if "Content Security Policy" in message.text else None,
        )
        return page

    try:
        yield open_page
    finally:
        for context in contexts:
            context.close()
    assert not blocked, f"the Content-Security-Policy blocked: {blocked}"


def two_people_with_the_app_open(web: Web, new_page: PageFactory) -> tuple[dict[str, Any], dict[str, Any], Any, Any]:
    """Alice and Bob, registered, each with the app open in a browser context of their own."""
    alice = web.register(unique_name("Alice"))
    bob = web.register(unique_name("Bob"))
    alice_page = new_page(token=alice["access_token"])
    bob_page = new_page(token=bob["access_token"])
    alice_page.goto("/")
    bob_page.goto("/")
    return alice, bob, alice_page, bob_page


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


def expect_presence(page: Any, name: str, state: str, timeout: float = 15_000) -> None:
    """The sidebar entry of `name` reads "<name>, <state>" (state: online or offline)."""
    expect(page.get_by_role("button", name=f"{name}, {state}", exact=True)).to_be_visible(timeout=timeout)


def expect_image_loaded(page: Any, image: Any) -> None:
    """Waits until the <img> has loaded real pixels (naturalWidth > 0), not just that the element exists."""
    expect(image).to_be_visible()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())


def make_png(width: int = 640, height: int = 420) -> bytes:
    """A small landscape picture (sky, sun, hills) drawn with Pillow."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    for y in range(height):  # a sky fading from deep blue to warm orange
        t = y / (height - 1)
        draw.line([(0, y), (width, y)], fill=(int(40 + 215 * t), int(70 + 110 * t), int(160 - 60 * t)))
    sun = (int(width * 0.68), int(height * 0.52), int(height * 0.13))
    draw.ellipse([sun[0] - sun[2], sun[1] - sun[2], sun[0] + sun[2], sun[1] + sun[2]], fill=(255, 221, 120))
    draw.polygon(
        [
            (0, height),
            (0, int(height * 0.72)),
            (int(width * 0.35), int(height * 0.58)),
            (int(width * 0.7), int(height * 0.8)),
            (width, int(height * 0.66)),
            (width, height),
        ],
        fill=(46, 64, 87),
    )
    draw.polygon(
        [
            (0, height),
            (0, int(height * 0.86)),
            (int(width * 0.5), int(height * 0.74)),
            (width, int(height * 0.9)),
            (width, height),
        ],
        fill=(27, 38, 59),
    )
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def make_pdf(text: str = "Hello from Parley") -> bytes:
    """A minimal valid one-page PDF (correct xref offsets) showing `text`."""
    stream = f"BT /F1 24 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)

"""Screenshots for docs/screenshots/ (run with PARLEY_SCREENSHOTS=1; skipped otherwise)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.helpers import PageFactory, Web, messages, person
from tests.support import ROOT

pytestmark = pytest.mark.skipif(not os.environ.get("PARLEY_SCREENSHOTS"), reason="set PARLEY_SCREENSHOTS=1")
OUT = ROOT / "docs" / "screenshots"


def test_screenshots(web: Web, new_page: PageFactory) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    signup = new_page()
    signup.goto("/")
    signup.get_by_role("button", name="Sign up").click()
    signup.get_by_label("Name").fill("Alice Martin")
    shot(signup, OUT / "signup.png")

    alice = web.register("Alice Martin")
    bob = web.register("Bob Chen")
    carol = web.register("Carol Díaz")
    dan = web.register("Dan Okafor")
    web.register("Eve Laurent")
    me = alice["user"]["id"]
    web.send_text(dan, me, "Are we still on for Friday?")
    web.send_text(alice, dan["user"]["id"], "Yes! 7pm at the usual place 🍜")
    script = [
        (bob, "Hey Alice! Did you get a chance to look at the draft?"),
        (alice, "Just finished reading it 📄"),
        (alice, "Really solid work. Two small things:\n1. a shorter intro\n2. the chart on page 4 needs a legend"),
        (bob, "Great catch on the legend, fixing it now 🙌"),
        (bob, "I'll send the new version tonight"),
        (alice, "Perfect, thanks! 🎉"),
    ]
    last: dict[str, Any] = {}
    for sender, text in script:
        last = web.send_text(sender, (alice if sender is bob else bob)["user"]["id"], text)
    httpx.post(
        f"{web.stack.url('command')}/api/messages/read",
        json={"peer_id": me, "up_to_seq": last["seq"]},
        headers={"Authorization": f"Bearer {bob['access_token']}"},
        timeout=10,
    )
    web.send_text(carol, me, "Can you share the slides from this morning?")
    web.send_text(carol, me, "No rush 🙂")

    desktop = new_page(token=alice["access_token"])
    desktop.goto("/")
    person(desktop, "Bob Chen").click()
    expect(messages(desktop)).to_have_count(len(script))
    expect(desktop.get_by_text("Seen", exact=True)).to_be_visible()
    desktop.get_by_label("Message").fill("See you at the review tomorrow")
    shot(desktop, OUT / "chat.png")

    phone = new_page(width=390, height=844, token=alice["access_token"])
    phone.goto("/")
    person(phone, "Bob Chen").click()
    expect(messages(phone)).to_have_count(len(script))
    shot(phone, OUT / "narrow.png")


def shot(page: Any, path: Path) -> None:
    page.mouse.move(0, 0)
    page.wait_for_timeout(500)
    page.screenshot(path=str(path))

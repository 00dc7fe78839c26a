"""The main screens, walked through in the browser and photographed.

Every run takes the pictures; with PARLEY_SCREENSHOTS=1 they are written to docs/screenshots/ (the README shows
them), otherwise to a temporary folder so a test run leaves the checkout clean.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import (
    PageFactory,
    Web,
    expect_image_loaded,
    expect_presence,
    make_pdf,
    make_png,
    messages,
    page_factory,
    person,
    running_web,
)
from tests.support import ROOT, Infra

DOCS_SCREENSHOTS = ROOT / "docs" / "screenshots"


@pytest.fixture(scope="module")
def own_web(infra: Infra) -> Iterator[Web]:
    """A stack of its own: the pictures show only the people made here, whatever ran before."""
    with running_web(infra) as running:
        yield running


@pytest.fixture
def own_page(browser: Any, own_web: Web) -> Iterator[PageFactory]:
    with page_factory(browser, own_web) as open_page:
        yield open_page


def test_screenshots(own_web: Web, own_page: PageFactory, tmp_path: Path) -> None:
    web, new_page = own_web, own_page
    out = DOCS_SCREENSHOTS if os.environ.get("PARLEY_SCREENSHOTS") else tmp_path
    out.mkdir(parents=True, exist_ok=True)
    signup = new_page()
    signup.goto("/")
    signup.get_by_role("button", name="Sign up").click()
    signup.get_by_label("Name").fill("Alice Martin")
    shot(signup, out / "signup.png")

    alice = web.register("Alice Martin", "alice.martin@example.com")  # each run has its own stack (database)
    bob = web.register("Bob Chen")
    carol = web.register("Carol Díaz")
    dan = web.register("Dan Okafor")
    web.register("Eve Laurent")
    me = alice["user"]["id"]
    web.set_avatar(carol, make_png(256, 256))
    friday = web.send_text(dan, me, "Are we still on for Friday?")
    web.mark_read(alice, dan["user"]["id"], friday["seq"])  # she read it, then answered
    web.send_text(alice, dan["user"]["id"], "Yes! 7pm at the usual place 🍜")
    to_bob, to_alice = bob["user"]["id"], me
    web.send_text(bob, to_alice, "Hey Alice! Did you get a chance to look at the draft?")
    web.send_text(alice, to_bob, "Just finished reading it 📄")
    web.send_text(
        alice, to_bob, "Really solid work. Two small things:\n1. a shorter intro\n2. the chart on page 4 needs a legend"
    )
    web.send_text(bob, to_alice, "Great catch on the legend, fixing it now 🙌")
    web.send_media(
        bob,
        to_alice,
        "Quarterly report v2.pdf",
        make_pdf("Quarterly report v2"),
        "application/pdf",
        caption="Here's the new version",
    )
    last = web.send_media(
        alice,
        to_bob,
        "terrace.png",
        make_png(640, 420),
        "image/png",
        caption="Perfect, thanks! Celebrating with this view 🎉",
    )
    in_conversation = 6
    web.mark_read(bob, me, last["seq"])
    web.send_text(carol, me, "Can you share the slides from this morning?")
    web.send_text(carol, me, "No rush 🙂")

    # Bob and Carol are online (a page each); Dan was here a moment ago; Eve never came back.
    bob_page = new_page(token=bob["access_token"])
    bob_page.goto("/")
    for person_online in (carol, dan):
        page = new_page(token=person_online["access_token"])
        page.goto("/")
        expect_presence(bob_page, person_online["user"]["name"], "online")
    page.close()  # Dan leaves
    expect_presence(bob_page, "Dan Okafor", "offline")

    desktop = new_page(token=alice["access_token"])
    desktop.goto("/")
    person(desktop, "Bob Chen").click()
    expect(messages(desktop)).to_have_count(in_conversation)
    expect(desktop.get_by_text("Seen", exact=True)).to_be_visible()
    expect_presence(desktop, "Bob Chen", "online")
    expect_presence(desktop, "Carol Díaz", "online")
    expect_presence(desktop, "Dan Okafor", "offline")
    expect_presence(desktop, "Eve Laurent", "offline")
    expect_image_loaded(desktop, desktop.get_by_role("img", name="terrace.png"))
    expect_image_loaded(desktop, person(desktop, "Carol Díaz").locator("img"))
    expect(desktop.get_by_role("link", name="Download Quarterly report v2.pdf")).to_be_visible()
    desktop.get_by_label("Message").fill("See you at the review tomorrow")
    shot(desktop, out / "chat.png")

    phone = new_page(width=390, height=844, token=alice["access_token"])
    phone.goto("/")
    person(phone, "Bob Chen").click()
    expect(messages(phone)).to_have_count(in_conversation)
    expect_image_loaded(phone, phone.get_by_role("img", name="terrace.png"))
    shot(phone, out / "narrow.png")


def shot(page: Any, path: Path) -> None:
    page.mouse.move(0, 0)
    page.wait_for_timeout(500)
    page.screenshot(path=str(path))

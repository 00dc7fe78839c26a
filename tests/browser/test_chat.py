"""The chat client in a real browser against the real stack."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.browser.helpers import (
    PASSWORD,
    PageFactory,
    Web,
    expect_presence,
    messages,
    person,
    sign_up,
    unique_name,
)


def test_sign_up_shows_field_errors_then_the_session_survives_a_reload(new_page: PageFactory) -> None:
    page = new_page()
    page.goto("/")
    page.get_by_role("button", name="Sign up").click()
    page.get_by_label("Name").fill("Erin")
    page.get_by_label("Email").fill("not-an-email")
    page.get_by_label("Password").fill("short")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_label("Email")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Password")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("alert").filter(has_text="8 characters")).to_be_visible()

    email = sign_up(page, unique_name("Erin"))
    page.reload()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()

    page.get_by_role("button", name="Log out").click()
    page.get_by_role("button", name="Sign up").click()
    page.get_by_label("Name").fill("Erin again")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("alert")).to_contain_text("already exists")

    page.get_by_role("button", name="Log in").click()  # back to the log-in form
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_have_text("Wrong email or password.")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def test_two_people_chat_live_with_unread_typing_and_seen(new_page: PageFactory) -> None:
    alice, bob = new_page(), new_page()
    alice_name, bob_name = unique_name("Alice"), unique_name("Bob")
    sign_up(alice, alice_name)
    sign_up(bob, bob_name)

    # Bob registered after Alice's list loaded: he appears without a reload, and both are online.
    expect_presence(alice, bob_name, "online")
    expect_presence(bob, alice_name, "online")
    person(alice, bob_name).click()
    alice.get_by_label("Message").fill("Hello Bob 👋")
    alice.get_by_role("button", name="Send").click()
    expect(messages(alice)).to_have_text(["Hello Bob 👋"])

    expect(person(bob, alice_name).get_by_test_id("unread")).to_contain_text("1")
    person(bob, alice_name).click()
    expect(messages(bob)).to_have_text(["Hello Bob 👋"])
    expect(alice.get_by_text("Seen", exact=True)).to_be_visible()

    bob.get_by_label("Message").press_sequentially("Hi Alice")
    expect(alice.get_by_text(f"{bob_name} is typing…")).to_be_visible()
    bob.get_by_label("Message").press("Shift+Enter")
    bob.get_by_label("Message").press_sequentially("two lines")
    bob.get_by_label("Message").press("Enter")
    expect(messages(alice)).to_have_text(["Hello Bob 👋", "Hi Alice\ntwo lines"])
    expect(messages(bob)).to_have_count(2)

    # Emoji both ways, typed and picked: Alice's arrives live in Bob's open conversation.
    alice.get_by_label("Message").fill("See you at 7 🍜🎉")
    alice.get_by_label("Message").press("Enter")
    expect(messages(bob).last).to_have_text("See you at 7 🍜🎉")
    bob.get_by_label("Message").fill("Deal 👍🏽 — ")
    bob.get_by_role("button", name="Emoji").click()
    picker = bob.get_by_role("dialog", name="Smileys and symbols")
    picker.get_by_role("textbox", name="Type to search for an emoji").fill("grinning")
    picker.get_by_role("gridcell", name="grinning face", exact=True).click()
    expect(bob.get_by_label("Message")).to_have_value("Deal 👍🏽 — 😀")
    bob.get_by_role("button", name="Send").click()
    history = ["Hello Bob 👋", "Hi Alice\ntwo lines", "See you at 7 🍜🎉", "Deal 👍🏽 — 😀"]
    expect(messages(alice)).to_have_text(history)
    expect(messages(bob)).to_have_text(history)

    # A reload keeps the session, the open conversation and the whole history, and presence is still right.
    for page, peer_name in ((alice, bob_name), (bob, alice_name)):
        page.reload()
        expect(page.get_by_role("button", name="Log out")).to_be_visible()
        expect(messages(page)).to_have_text(history)
        expect_presence(page, peer_name, "online")


def test_missed_messages_fill_in_exactly_once_after_a_reconnect(web: Web, new_page: PageFactory) -> None:
    alice = web.register(unique_name("Alice"))
    bob = web.register(unique_name("Bob"))
    web.send_text(bob, alice["user"]["id"], "before the drop")
    page = new_page(token=alice["access_token"])
    sockets: list[Any] = []
    blocked = {"on": False}

    def route(ws: Any) -> None:
        if blocked["on"]:
            ws.close()
            return
        ws.connect_to_server()
        sockets.append(ws)

    page.route_web_socket(re.compile(r"/socket\.io/"), route)
    page.goto("/")
    person(page, bob["user"]["name"]).click()
    expect(messages(page)).to_have_text(["before the drop"])
    expect(page.get_by_role("status")).to_have_count(0)

    blocked["on"] = True
    for ws in sockets:
        ws.close()
    expect(page.get_by_role("status")).to_contain_text("Reconnecting")
    for i in range(3):
        web.send_text(bob, alice["user"]["id"], f"missed {i}")
    blocked["on"] = False

    expect(messages(page)).to_have_text(["before the drop", "missed 0", "missed 1", "missed 2"], timeout=20_000)
    expect(page.get_by_role("status")).to_have_count(0)
    web.send_text(bob, alice["user"]["id"], "live again")
    expect(messages(page)).to_have_count(5)


def test_older_history_loads_on_scroll_without_duplicates(web: Web, new_page: PageFactory) -> None:
    alice = web.register(unique_name("Alice"))
    bob = web.register(unique_name("Bob"))
    for i in range(1, 121):
        web.send_text(bob if i % 2 else alice, (alice if i % 2 else bob)["user"]["id"], f"message {i}")
    page = new_page(token=alice["access_token"])
    page.goto("/")
    person(page, bob["user"]["name"]).click()
    expect(messages(page).last).to_have_text("message 120")
    history = page.get_by_role("list", name="History").locator("xpath=..")
    expect(messages(page)).to_have_count(50)
    # Scrolling to the top loads the next page above, and what was on screen stays where it was.
    older_page = re.compile(r"/api/conversations/[^/]+/messages\?.*before=")
    held: list[Any] = []

    def hold(route: Any) -> None:
        held.append(route)

    page.route(older_page, hold)
    history.evaluate("el => { el.scrollTop = 0; }")
    for _ in range(50):
        if held:
            break
        page.wait_for_timeout(100)
    assert held, "scrolling to the top did not ask for older messages"
    anchor = messages(page).filter(has_text=re.compile(r"^message 71$"))
    top_before = anchor.bounding_box()["y"]
    held[0].continue_()
    page.unroute(older_page)
    expect(messages(page)).to_have_count(100)
    assert abs(anchor.bounding_box()["y"] - top_before) < 2
    for _ in range(20):
        if messages(page).count() >= 120:
            break
        history.evaluate("el => { el.scrollTop = 0; }")
        page.wait_for_timeout(200)
    expect(messages(page)).to_have_count(120)
    expect(messages(page).first).to_have_text("message 1")


def test_phone_width_shows_the_list_or_the_conversation(web: Web, new_page: PageFactory) -> None:
    alice = web.register(unique_name("Alice"))
    bob = web.register(unique_name("Bob"))
    page = new_page(width=390, height=844, token=alice["access_token"])
    page.goto("/")
    person(page, bob["user"]["name"]).click()
    expect(page.get_by_label("Message")).to_be_visible()
    expect(page.get_by_role("searchbox", name="Search people")).to_be_hidden()
    page.get_by_role("button", name="Back").click()
    expect(person(page, bob["user"]["name"])).to_be_visible()
    expect(page.get_by_label("Message")).to_have_count(0)

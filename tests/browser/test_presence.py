"""Presence in real browsers: the sidebar's dot and accessible name follow the other person's tabs."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.helpers import PageFactory, Web, expect_presence, person, unique_name


def test_closing_the_last_page_shows_the_person_offline_to_the_other(web: Web, new_page: PageFactory) -> None:
    alice = web.register(unique_name("Alice"))
    bob = web.register(unique_name("Bob"))
    alice_name = alice["user"]["name"]
    bob_page = new_page(token=bob["access_token"])
    bob_page.goto("/")
    expect_presence(bob_page, alice_name, "offline")  # never connected yet

    alice_page = new_page(token=alice["access_token"])
    alice_page.goto("/")
    expect_presence(alice_page, bob["user"]["name"], "online")
    expect_presence(bob_page, alice_name, "online")
    expect(person(bob_page, alice_name).locator("[data-online]")).to_have_attribute("data-online", "true")
    person(bob_page, alice_name).click()
    header = bob_page.get_by_role("region", name=f"Conversation with {alice_name}").locator("header")
    expect(header).to_contain_text("Online")

    # Alice closes her only page: after the short grace period (1 s in the test stack) Bob sees her offline.
    alice_page.close()
    expect_presence(bob_page, alice_name, "offline")
    expect(person(bob_page, alice_name).locator("[data-online]")).to_have_attribute("data-online", "false")
    expect(header).to_contain_text("Last seen just now")

    # She comes back (same session, new page): online again, live.
    alice_again = new_page(token=alice["access_token"])
    alice_again.goto("/")
    expect_presence(bob_page, alice_name, "online")
    expect(header).to_contain_text("Online")

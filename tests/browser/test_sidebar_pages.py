"""The sidebar with 300 people: it loads more as you scroll and searches on the server as you type."""

from __future__ import annotations

import math
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.helpers import PageFactory, Web, person, unique_name
from tests.support import wait_until

PEOPLE = 300
PAGE_SIZE = 30  # the web client's page


def register_many(web: Web, names: list[str]) -> list[dict[str, Any]]:
    """Register through the API, a dozen at a time (the test stack hashes passwords at bcrypt cost 4)."""
    with ThreadPoolExecutor(max_workers=12) as pool:
        return list(pool.map(web.register, names))


def found_by_server(web: Web, token: str, q: str) -> list[str]:
    """Every page of `GET /api/users?q=`: the names the server finds."""
    names: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, str | int] = {"q": q, "limit": 100, **({"cursor": cursor} if cursor else {})}
        headers = {"Authorization": f"Bearer {token}"}
        response = httpx.get(f"{web.stack.url('query')}/api/users", params=params, headers=headers, timeout=10)
        response.raise_for_status()
        page = response.json()
        names += [u["name"] for u in page["users"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return names


@pytest.mark.timeout(300)  # 300 sign-ups and a browser on a machine shared with other work
def test_300_people_load_as_you_scroll_and_search_runs_on_the_server(web: Web, new_page: PageFactory) -> None:
    tag = uuid.uuid4().hex[:6]
    # "Zz…" sorts after everyone other tests register on this shared stack, so the last of these is the last
    # person of the whole list. One of them has a word no one else has, for the search.
    names = [f"Zz{tag} {i:03d}" for i in range(PEOPLE)]
    word = f"Quokka{tag}"
    names[137] = f"Zz{tag} 137 {word}"
    people = register_many(web, names)
    viewer = web.register(unique_name("Viewer"))
    token = viewer["access_token"]
    # The server's name directory follows sign-ups within about a second.
    wait_until(lambda: found_by_server(web, token, f"zz{tag}") == names, timeout=30, interval=0.5, what="directory")

    page = new_page(token=token)
    users_requests: list[dict[str, list[str]]] = []

    def on_request(request: Any) -> None:
        url = urlsplit(request.url)
        if url.path == "/api/users":
            users_requests.append(parse_qs(url.query))

    page.on("request", on_request)
    page.goto("/")
    people_list = page.get_by_role("list", name="People", exact=True)
    rows = people_list.get_by_role("listitem")
    expect(rows).to_have_count(PAGE_SIZE)
    last = person(page, names[-1])
    expect(last).to_have_count(0)

    # A message from someone far down the list: looked up by id and shown at the top with the message.
    web.send_text(people[250], viewer["user"]["id"], "hello from page nine")
    expect(rows.first).to_contain_text(names[250])
    expect(rows.first).to_contain_text("hello from page nine")

    # Scroll to the end again and again: each time the end comes into view, the next page comes.
    for _ in range(3 * PEOPLE // PAGE_SIZE):
        if last.count() > 0:
            break
        people_list.evaluate("ul => { const box = ul.parentElement; box.scrollTop = box.scrollHeight; }")
        page.wait_for_timeout(200)
    last.scroll_into_view_if_needed()
    expect(last).to_be_visible()
    expect(rows.last).to_contain_text(names[-1])
    expect(page.get_by_test_id("load-more")).to_have_count(0)  # the last page: nothing more to load

    ids = people_list.locator("button[data-user-id]").evaluate_all("buttons => buttons.map(b => b.dataset.userId)")
    assert len(ids) == len(set(ids)), "someone is listed twice"
    assert {p["user"]["id"] for p in people} <= set(ids)
    assert ids[0] == people[250]["user"]["id"]

    pages = [r for r in users_requests if "q" not in r]
    cursors = [r.get("cursor", [""])[0] for r in pages]
    assert len(cursors) == len(set(cursors)), f"a page was asked for twice: {cursors}"
    assert len(pages) <= math.ceil(len(ids) / PAGE_SIZE), f"{len(pages)} page requests for {len(ids)} people"

    # Search as you type: one request (or very few) for the whole word, answered by the server.
    box = page.get_by_role("searchbox", name="Search people")
    box.press_sequentially(word.lower(), delay=40)
    found = page.get_by_role("list", name=f"People matching “{word.lower()}”")
    expect(found.get_by_role("listitem")).to_have_count(1)
    expect(person(page, names[137])).to_be_visible()
    expect(person(page, names[136])).to_have_count(0)
    searches = [r["q"][0] for r in users_requests if "q" in r]
    assert searches[-1] == word.lower()
    assert len(searches) <= len(word) // 4, f"{len(searches)} searches for {len(word)} keystrokes: {searches}"

    # Clearing the box brings the list back at once, from what was loaded.
    asked = len(users_requests)
    box.fill("")
    expect(rows.first).to_contain_text(names[250])
    expect(last).to_be_attached()
    assert len(users_requests) == asked

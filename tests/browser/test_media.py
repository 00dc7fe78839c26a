"""Photos and files between two people, through the composer's "Attach file" button, in real browsers."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

from tests.browser.helpers import (
    PageFactory,
    Web,
    expect_image_loaded,
    expect_presence,
    make_pdf,
    make_png,
    messages,
    person,
    two_people_with_the_app_open,
    unique_name,
)


def test_a_picture_and_a_pdf_sent_with_attach_file_arrive_viewable_and_downloadable(
    web: Web, new_page: PageFactory
) -> None:
    alice, bob, alice_page, bob_page = two_people_with_the_app_open(web, new_page)
    person(bob_page, alice["user"]["name"]).click()  # Bob has the conversation open: it arrives live
    expect(bob_page.get_by_text(f"Say hello to {alice['user']['name']}")).to_be_visible()

    png, pdf = make_png(640, 420), make_pdf("Quarterly report")
    person(alice_page, bob["user"]["name"]).click()
    with alice_page.expect_file_chooser() as chooser:
        alice_page.get_by_role("button", name="Attach file").click()
    assert chooser.value.is_multiple()
    chooser.value.set_files(
        [
            {"name": "sunset.png", "mimeType": "image/png", "buffer": png},
            {"name": "report.pdf", "mimeType": "application/pdf", "buffer": pdf},
        ]
    )
    tray = alice_page.get_by_role("list", name="Attachments")
    expect(tray.get_by_text("ready to send")).to_have_count(2)
    alice_page.get_by_label("Message").fill("The view from the hotel 🌅")
    alice_page.get_by_role("button", name="Send").click()
    expect(tray).to_have_count(0)

    # The sender sees both as sent (not pending), the picture carrying the caption.
    expect(messages(alice_page)).to_have_count(2)
    expect(messages(alice_page).and_(alice_page.locator("[data-status=pending]"))).to_have_count(0)
    expect(messages(alice_page).first).to_contain_text("The view from the hotel 🌅")

    # The receiver: the thumbnail is a loaded picture, the file card names the PDF and its size.
    expect(messages(bob_page)).to_have_count(2)
    thumb = messages(bob_page).first.get_by_role("img", name="sunset.png")
    expect_image_loaded(bob_page, thumb)
    expect(messages(bob_page).first).to_contain_text("The view from the hotel 🌅")
    card = messages(bob_page).last
    expect(card).to_contain_text("report.pdf")
    expect(card).to_contain_text(f"{len(pdf)} B")

    # The full-size picture opens over the page, at the size it was sent.
    bob_page.get_by_role("button", name="Open image sunset.png").click()
    full = bob_page.get_by_role("dialog").get_by_role("img", name="sunset.png")
    expect_image_loaded(bob_page, full)
    assert full.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [640, 420]
    bob_page.keyboard.press("Escape")
    expect(bob_page.get_by_role("dialog")).to_have_count(0)

    # The download link gives back exactly the bytes that were sent, under their name.
    link = card.get_by_role("link", name="Download report.pdf")
    with bob_page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == "report.pdf"
    assert Path(download.value.path()).read_bytes() == pdf
    response = bob_page.request.get(link.get_attribute("href"))
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.body() == pdf

    # The sidebar preview says what came in.
    expect(person(bob_page, alice["user"]["name"])).to_contain_text("📎 File")


def test_a_refused_file_shows_the_reason_and_can_be_removed(web: Web, new_page: PageFactory) -> None:
    alice = web.register(unique_name("Alice"))
    bob = web.register(unique_name("Bob"))
    page = new_page(token=alice["access_token"])
    page.goto("/")
    person(page, bob["user"]["name"]).click()
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="Attach file").click()
    chooser.value.set_files({"name": "page.html", "mimeType": "text/html", "buffer": b"<html><body>hi</body></html>"})
    tray = page.get_by_role("list", name="Attachments")
    expect(tray.get_by_role("alert")).to_contain_text("HTML")
    expect(page.get_by_role("button", name="Send")).to_be_disabled()
    tray.get_by_role("button", name="Remove page.html").click()
    expect(tray).to_have_count(0)
    expect(messages(page)).to_have_count(0)


def test_a_new_avatar_shows_live_and_the_person_stays_online(web: Web, new_page: PageFactory) -> None:
    _, bob, alice_page, bob_page = two_people_with_the_app_open(web, new_page)
    bob_name = bob["user"]["name"]
    expect_presence(alice_page, bob_name, "online")
    expect(person(alice_page, bob_name).locator("img")).to_have_count(0)  # initials until then

    # The `user` event of a profile change carries only {id, name, avatar}: merged, presence kept.
    web.set_avatar(bob, make_png(256, 256))
    avatar = person(alice_page, bob_name).locator("img")
    expect_image_loaded(alice_page, avatar)
    expect_presence(alice_page, bob_name, "online")
    # My own avatar (the sidebar footer) follows too.
    expect_image_loaded(bob_page, bob_page.get_by_role("complementary").locator("footer img"))


def test_i_change_my_picture_and_name_in_my_profile_and_the_other_person_sees_them(
    web: Web, new_page: PageFactory
) -> None:
    _, bob, alice_page, bob_page = two_people_with_the_app_open(web, new_page)
    expect_presence(alice_page, bob["user"]["name"], "online")

    bob_page.get_by_role("button", name=f"Edit profile: {bob['user']['name']}").click()
    dialog = bob_page.get_by_role("dialog", name="Your profile")
    # Not a picture: refused in the dialog, nothing is sent.
    dialog.get_by_label("Profile picture").set_input_files(
        {"name": "report.pdf", "mimeType": "application/pdf", "buffer": make_pdf("Not a face")}
    )
    expect(dialog.get_by_role("alert")).to_have_text("Choose a JPG, PNG, WebP or GIF picture.")
    dialog.get_by_label("Profile picture").set_input_files(
        {"name": "me.png", "mimeType": "image/png", "buffer": make_png(300, 300)}
    )
    expect(dialog.get_by_role("alert")).to_have_count(0)
    new_name = unique_name("Robert")
    dialog.get_by_label("Name").fill(new_name)
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_have_count(0)

    # My footer and the other person's sidebar follow, live; presence is kept.
    expect(bob_page.get_by_role("button", name=f"Edit profile: {new_name}")).to_be_visible()
    expect_image_loaded(bob_page, bob_page.get_by_role("complementary").locator("footer img"))
    expect_presence(alice_page, new_name, "online")
    expect_image_loaded(alice_page, person(alice_page, new_name).locator("img"))

    # Removing the picture brings the initials back.
    bob_page.get_by_role("button", name=f"Edit profile: {new_name}").click()
    bob_page.get_by_role("dialog", name="Your profile").get_by_role("button", name="Remove picture").click()
    bob_page.get_by_role("dialog", name="Your profile").get_by_role("button", name="Save").click()
    expect(person(alice_page, new_name).locator("img")).to_have_count(0)

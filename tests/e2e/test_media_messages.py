"""Media in messages and profiles through the real services: signed URLs wherever a message is served, which
upload fits which message, who may download, avatars."""

from __future__ import annotations

import io
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from PIL import Image

from shared.media_urls import MediaSigner
from tests import media_samples as s
from tests.conftest import SocketFactory
from tests.e2e.media_helpers import fetch, uploaded
from tests.support import Stack, bearer, eventually, received, register, sidebar


async def send_media(
    http: httpx.AsyncClient,
    stack: Stack,
    sender: dict[str, Any],
    to: str,
    media_id: str,
    type_: str,
    text: str = "",
) -> httpx.Response:
    body = {"to": to, "type": type_, "media_id": media_id, "client_msg_id": uuid.uuid4().hex}
    if text:
        body["text"] = text
    return await http.post(f"{stack.url('command')}/api/messages", json=body, headers=bearer(sender["access_token"]))


def _stored_files(stack: Stack) -> list[Path]:
    return [p for p in Path(stack.env["PARLEY_MEDIA_DIR"]).rglob("*") if p.is_file()]


# -- sending and seeing media ------------------------------------------------------------------------------------


async def test_media_messages_carry_working_signed_urls_everywhere(
    http: httpx.AsyncClient, stack: Stack, sockets: SocketFactory, pair: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    alice, bob = pair
    bob_socket = await sockets(stack.url("realtime2"), bob["access_token"])
    media = await uploaded(http, stack, alice, s.jpeg_with_gps((1200, 900), orientation=6), "IMG_0001.JPG")
    assert (media["width"], media["height"]) == (900, 1200)
    response = await send_media(http, stack, alice, bob["user"]["id"], media["id"], "image", "look 📷")
    assert response.status_code == 201, response.text
    message = response.json()["message"]
    assert message["type"] == "image" and message["text"] == "look 📷"
    expected_meta = {k: media[k] for k in ("id", "name", "size", "mime", "kind", "width", "height")}
    assert {k: message["media"][k] for k in expected_meta} == expected_meta

    pushed = (await eventually(lambda: _async(received(bob_socket, "message")), what="message pushed"))[0]
    history = await eventually(lambda: _history(http, stack, bob, alice["user"]["id"]), what="history")
    sync = await http.get(f"{stack.url('query')}/api/sync", params={"after": 0}, headers=bearer(bob["access_token"]))
    synced = next(m for m in sync.json()["messages"] if m["id"] == message["id"])
    sidebar = await eventually(lambda: _last_message(http, stack, bob, alice["user"]["id"]), what="sidebar")
    for served in (message, pushed, history[0], synced, sidebar):
        assert served["id"] == message["id"]
        image = await fetch(http, stack, served["media"]["url"])
        assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"
        assert image.headers["content-disposition"].startswith('inline; filename="IMG_0001.JPG"')
        thumbnail = await fetch(http, stack, served["media"]["thumbnail_url"])
        assert thumbnail.status_code == 200 and thumbnail.headers["content-type"] == "image/webp"

    # What is served is upright, and says nothing about where it was taken.
    served_image = (await fetch(http, stack, message["media"]["url"])).content
    assert s.GPS_MAKER.encode() not in served_image and b"taken at home" not in served_image
    picture = Image.open(io.BytesIO(served_image))
    assert picture.size == (900, 1200) and dict(picture.getexif()) == {}
    thumb = Image.open(io.BytesIO((await fetch(http, stack, message["media"]["thumbnail_url"])).content))
    assert thumb.format == "WEBP" and max(thumb.size) <= 480 and thumb.size == (360, 480)
    # Nor is the original kept anywhere on disk.
    stored = _stored_files(stack)
    assert stored and not any(s.GPS_MAKER.encode() in p.read_bytes() for p in stored)

    # With the bearer token instead of a signature: the uploader, and (once projected) the receiver.
    path = f"/api/media/{media['id']}"
    assert (await fetch(http, stack, path, headers=bearer(alice["access_token"]))).status_code == 200
    await eventually(lambda: _status_is(http, stack, path, bob, 200), what="bob may download by token")


async def test_video_audio_and_file_messages(
    http: httpx.AsyncClient, stack: Stack, pair: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    alice, bob = pair
    to = bob["user"]["id"]
    video = await uploaded(http, stack, alice, s.mp4_video(), "clip.mp4")
    voice = await uploaded(http, stack, alice, s.webm(2), "voice.webm")
    document = await uploaded(http, stack, alice, s.pdf(), "doc.pdf")
    image = await uploaded(http, stack, alice, s.image("PNG"), "pic.png")
    for media, type_ in ((video, "video"), (voice, "audio"), (document, "file"), (image, "file"), (video, "file")):
        response = await send_media(http, stack, alice, to, media["id"], type_)
        assert response.status_code == 201, response.text
        assert response.json()["message"]["media"]["kind"] == media["kind"]
    for media, type_ in (
        (image, "video"),
        (video, "image"),
        (voice, "video"),
        (document, "image"),
        (document, "audio"),
    ):
        response = await send_media(http, stack, alice, to, media["id"], type_)
        assert response.status_code == 422 and "upload" in response.json()["detail"], response.text


async def test_another_users_upload_cannot_be_attached(
    http: httpx.AsyncClient, stack: Stack, pair: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    alice, bob = pair
    media = await uploaded(http, stack, alice, s.image("PNG"), "mine.png")
    stolen = await send_media(http, stack, bob, alice["user"]["id"], media["id"], "image")
    missing = await send_media(http, stack, bob, alice["user"]["id"], uuid.uuid4().hex, "image")
    garbage = await send_media(http, stack, bob, alice["user"]["id"], "../../etc/passwd", "image")
    # The same answer as for an id that does not exist: nobody learns which ids do.
    for response in (stolen, missing, garbage):
        assert response.status_code == 422 and response.json()["detail"] == "unknown media_id"


async def test_outsiders_cannot_download(
    http: httpx.AsyncClient, stack: Stack, pair: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    alice, bob = pair
    eve = await register(http, stack, name="Eve")
    media = await uploaded(http, stack, alice, s.pdf(), "secret.pdf")
    assert (await send_media(http, stack, alice, bob["user"]["id"], media["id"], "file")).status_code == 201
    path = f"/api/media/{media['id']}"
    await eventually(lambda: _status_is(http, stack, path, bob, 200), what="bob may download")

    def not_found(response: httpx.Response) -> None:
        assert response.status_code == 404 and response.json()["detail"] == "media not found", response.text

    not_found(await fetch(http, stack, path, headers=bearer(eve["access_token"])))
    not_found(await fetch(http, stack, f"/api/media/{uuid.uuid4().hex}", headers=bearer(eve["access_token"])))
    not_found(await fetch(http, stack, "/api/media/not-an-id", headers=bearer(eve["access_token"])))
    not_found(await fetch(http, stack, f"{path}/thumbnail", headers=bearer(alice["access_token"])))  # no thumbnail
    assert (await fetch(http, stack, path)).status_code == 401  # neither a token nor a signature

    signer = MediaSigner.from_secret(stack.env["PARLEY_MEDIA_URL_KEY"], 3600)
    url = media["url"]
    exp = int(url.split("exp=")[1].split("&")[0])
    sig = url.split("sig=")[1]
    tampered = url[:-1] + ("0" if url[-1] != "0" else "1")
    not_found(await fetch(http, stack, tampered))
    not_found(await fetch(http, stack, f"{path}?exp={exp + 3600}&sig={sig}"))  # a longer life is not signed
    not_found(await fetch(http, stack, f"/api/media/{uuid.uuid4().hex}?exp={exp}&sig={sig}"))  # another id
    not_found(await fetch(http, stack, signer.url(media["id"], now=time.time() - 3 * 3600)))  # expired
    not_found(await fetch(http, stack, f"{path}?sig={sig}"))
    assert (await fetch(http, stack, url)).status_code == 200


# -- avatars -----------------------------------------------------------------------------------------------------


async def test_avatars(
    http: httpx.AsyncClient, stack: Stack, sockets: SocketFactory, pair: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    alice, bob = pair
    bob_socket = await sockets(stack.url("realtime"), bob["access_token"])
    profile_url = f"{stack.url('command')}/api/profile"
    picture = await uploaded(http, stack, alice, s.image("PNG", (1000, 800)), "me.png")
    response = await http.put(
        profile_url, json={"avatar_media_id": picture["id"]}, headers=bearer(alice["access_token"])
    )
    assert response.status_code == 200, response.text
    user = response.json()["user"]
    assert user["id"] == alice["user"]["id"] and user["name"] == "Alice" and user["email"] == alice["user"]["email"]
    avatar = await fetch(http, stack, user["avatar"])
    assert avatar.status_code == 200 and avatar.headers["content-type"] == "image/webp"
    assert max(Image.open(io.BytesIO(avatar.content)).size) <= 480

    pushed = await eventually(lambda: _user_push(bob_socket, alice["user"]["id"]), what="user pushed")
    assert pushed["name"] == "Alice" and (await fetch(http, stack, pushed["avatar"])).status_code == 200

    async def in_bobs_sidebar() -> dict[str, Any] | None:
        users = await sidebar(http, stack, bob["access_token"])
        entry: dict[str, Any] | None = next((u for u in users if u["id"] == alice["user"]["id"]), None)
        return entry if entry and entry["avatar"] else None

    entry = await eventually(in_bobs_sidebar, what="avatar in bob's sidebar")
    assert (await fetch(http, stack, entry["avatar"])).status_code == 200

    # Only your own images; a video or someone else's picture is refused.
    video = await uploaded(http, stack, alice, s.mp4_video(), "clip.mp4")
    bobs = await uploaded(http, stack, bob, s.image("PNG"), "bob.png")
    for media_id, detail in ((video["id"], "must be an image"), (bobs["id"], "unknown media_id")):
        refused = await http.put(profile_url, json={"avatar_media_id": media_id}, headers=bearer(alice["access_token"]))
        assert refused.status_code == 422 and detail in refused.json()["detail"]

    renamed = await http.put(profile_url, json={"name": "  Alice L.  "}, headers=bearer(alice["access_token"]))
    assert renamed.status_code == 200 and renamed.json()["user"]["name"] == "Alice L."
    assert renamed.json()["user"]["avatar"]  # kept
    removed = await http.put(profile_url, json={"avatar_media_id": None}, headers=bearer(alice["access_token"]))
    assert removed.status_code == 200 and removed.json()["user"]["avatar"] is None

    async def me_without_avatar() -> dict[str, Any] | None:
        response = await http.get(f"{stack.url('query')}/api/me", headers=bearer(alice["access_token"]))
        if response.status_code != 200:  # the view rewrites a changed user (delete, insert): a moment without it
            return None
        me: dict[str, Any] = response.json()["user"]
        return me if me["avatar"] is None and me["name"] == "Alice L." else None

    await eventually(me_without_avatar, what="profile projected")
    for body in ({"name": ""}, {"name": "x" * 51}, {"avatar_media_id": "nope"}, {"email": "a@b.c"}):
        invalid = await http.put(profile_url, json=body, headers=bearer(alice["access_token"]))
        assert invalid.status_code == 422, body


# -- helpers -----------------------------------------------------------------------------------------------------


async def _async(value: Any) -> Any:
    return value


async def _history(http: httpx.AsyncClient, stack: Stack, user: dict[str, Any], peer: str) -> list[Any] | None:
    response = await http.get(
        f"{stack.url('query')}/api/conversations/{peer}/messages", headers=bearer(user["access_token"])
    )
    if response.status_code != 200:
        return None
    messages: list[Any] = response.json()["messages"]
    return messages or None


async def _last_message(http: httpx.AsyncClient, stack: Stack, user: dict[str, Any], peer: str) -> Any:
    users = await sidebar(http, stack, user["access_token"])
    entry = next((u for u in users if u["id"] == peer), None)
    conversation = entry["conversation"] if entry else None
    return conversation["last_message"] if conversation else None


async def _status_is(http: httpx.AsyncClient, stack: Stack, path: str, user: dict[str, Any], status: int) -> bool:
    return (await fetch(http, stack, path, headers=bearer(user["access_token"]))).status_code == status


async def _user_push(socket: Any, user_id: str) -> dict[str, Any] | None:
    pushes = [u for u in received(socket, "user") if u["id"] == user_id and u.get("avatar")]
    return pushes[0] if pushes else None

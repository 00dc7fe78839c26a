"""Replay and verify against a running stack: the log is the truth, views are rebuilt from it (from the bus copy
too) and checked against it."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import nats
import orjson

from shared.views import HISTORY_BUCKET, META_PREFIX, MODELS, ViewCatalog
from tests import media_samples as samples
from tests.e2e.replay_helpers import caught_up
from tests.support import Stack, bearer, eventually, parley, register, send_text, sidebar


async def snapshot(db: Any, stack: Stack) -> dict[str, dict[str, Any]]:
    catalog = ViewCatalog(db[f"{stack.name}_views"])
    await catalog.refresh()
    return {
        model: {d["_id"]: d async for d in catalog[model].find() if not str(d["_id"]).startswith(META_PREFIX)}
        for model in MODELS
    }


async def traffic(http: httpx.AsyncClient, stack: Stack, people: int = 6, per_pair: int = 40) -> list[dict[str, Any]]:
    """People, messages both ways in every pair, read receipts, an image and an avatar: every event type."""
    users = [await register(http, stack, name=f"Person {i} ✨") for i in range(people)]
    pairs = [(a, b) for i, a in enumerate(users) for b in users[i + 1 :]]

    async def chat(a: dict[str, Any], b: dict[str, Any]) -> None:
        for n in range(per_pair):
            sender, to = (a, b) if n % 2 == 0 else (b, a)
            response = await send_text(http, stack, sender, to["user"]["id"], f"message {n} 🙂 <b>hi</b>")
            assert response.status_code == 201, response.text
        read = await http.post(
            f"{stack.url('command')}/api/messages/read",
            json={"peer_id": a["user"]["id"], "up_to_seq": per_pair // 2},
            headers=bearer(b["access_token"]),
        )
        assert read.status_code == 200, read.text

    await asyncio.gather(*(chat(a, b) for a, b in pairs))
    owner = users[0]
    image = await http.post(
        f"{stack.url('command')}/api/uploads",
        files={"file": ("photo.png", samples.image("PNG"), "image/png")},
        headers=bearer(owner["access_token"]),
    )
    assert image.status_code == 201, image.text
    media_id = image.json()["media"]["id"]
    sent = await http.post(
        f"{stack.url('command')}/api/messages",
        json={"to": users[1]["user"]["id"], "type": "image", "media_id": media_id, "client_msg_id": uuid.uuid4().hex},
        headers=bearer(owner["access_token"]),
    )
    assert sent.status_code == 201, sent.text
    profile = await http.put(
        f"{stack.url('command')}/api/profile",
        json={"name": "Person Zero", "avatar_media_id": media_id},
        headers=bearer(owner["access_token"]),
    )
    assert profile.status_code == 200, profile.text
    return users


async def test_replay_rebuilds_views_equal_to_the_live_ones(http: httpx.AsyncClient, ops_stack: Stack, db: Any) -> None:
    stack = ops_stack
    await traffic(http, stack)  # 15 pairs x 40 messages, receipts, media: about 650 events
    await caught_up(db, stack)
    before = await snapshot(db, stack)
    # 15 pairs x 40 messages: two buckets of 16 and 8 loose messages each, and the image.
    sealed = [d for d in before["messages"].values() if "|b" in d["_id"]]
    assert len(sealed) == 30 and len(before["messages"]) == 30 + 15 * 8 + 1
    assert all(len(orjson.loads(d["messages"])) == HISTORY_BUCKET for d in sealed)

    status, out, err = await parley(stack, "replay", "--model", "all")
    assert status == 0, out + err
    assert "events/s" in out

    catalog = ViewCatalog(db[f"{stack.name}_views"])
    await catalog.refresh()
    assert all(catalog.name(model) != model for model in MODELS)  # new collections serve every view
    assert await snapshot(db, stack) == before
    left = set(await db[f"{stack.name}_views"].list_collection_names())
    assert not (left & set(MODELS)), "the replaced collections are dropped"

    status, out, err = await parley(stack, "verify")
    assert status == 0, out + err
    assert "OK" in out


async def test_verify_fails_while_a_consumer_is_behind_the_log(
    http: httpx.AsyncClient, ops_stack: Stack, db: Any
) -> None:
    # A view compared at its own checkpoint says nothing of the events its consumer never applied: a frozen
    # consumer used to verify as equal. A stopped projector is the plainest frozen consumer.
    stack = ops_stack
    await caught_up(db, stack)
    projector = stack.process("projector")
    projector.stop()
    try:
        signed_up = await http.post(
            f"{stack.url('command')}/api/auth/register",
            json={"name": "Unprojected", "email": f"{uuid.uuid4().hex[:10]}@example.com", "password": "pw pw pw pw"},
        )
        assert signed_up.status_code == 201, signed_up.text
        status, out, err = await parley(stack, "verify", "--settle", "2")
        assert status == 1, out + err
        assert "STUCK" in out and "users (1 behind)" in out
    finally:
        projector.start()
        stack.wait_ready("projector")
    status, out, err = await parley(stack, "verify")
    assert status == 0, out + err
    assert "at the head" in out


async def test_verify_notices_a_tampered_view_and_replay_repairs_it(
    http: httpx.AsyncClient, ops_stack: Stack, db: Any
) -> None:
    stack = ops_stack
    victim = await register(http, stack, name="Victim")
    await caught_up(db, stack)
    catalog = ViewCatalog(db[f"{stack.name}_views"])
    await catalog.refresh()
    await catalog[MODELS[0]].update_one({"_id": victim["user"]["id"]}, {"$set": {"name": "Mallory"}})

    status, out, err = await parley(stack, "verify", "--model", "users")
    assert status == 1, out + err
    assert "users: DIFFERENT" in out
    assert victim["user"]["id"] in out and "Mallory" in out

    status, out, err = await parley(stack, "replay", "--model", "users")
    assert status == 0, out + err
    status, out, err = await parley(stack, "verify", "--model", "users")
    assert status == 0, out + err
    users = await sidebar(http, stack, victim["access_token"])
    me = (await http.get(f"{stack.url('query')}/api/me", headers=bearer(victim["access_token"]))).json()
    assert me["user"]["name"] == "Victim" and users


async def test_a_replay_under_live_traffic_loses_and_duplicates_nothing(
    http: httpx.AsyncClient, ops_stack: Stack, db: Any
) -> None:
    stack = ops_stack
    alice, bob = await register(http, stack, name="Alice"), await register(http, stack, name="Bob")
    sent: list[str] = []
    replay_done = asyncio.Event()

    async def keep_sending() -> None:
        n = 0
        # Messages before, during and after the replay (its switch included).
        while not replay_done.is_set() or n < 40:
            response = await send_text(http, stack, alice, bob["user"]["id"], f"live {n}")
            assert response.status_code == 201, response.text
            sent.append(response.json()["message"]["id"])
            n += 1
            await asyncio.sleep(0.01)

    sender = asyncio.create_task(keep_sending())
    await asyncio.sleep(0.5)
    status, out, err = await parley(stack, "replay", "--model", "all")
    replay_done.set()
    await sender
    assert status == 0, out + err
    await caught_up(db, stack)

    async def history() -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = []
        before = ""
        while True:
            page = await http.get(
                f"{stack.url('query')}/api/conversations/{alice['user']['id']}/messages",
                params={"limit": 100, **({"before": before} if before else {})},
                headers=bearer(bob["access_token"]),
            )
            assert page.status_code == 200, page.text
            body = page.json()
            messages = body["messages"] + messages
            if not body["next_before"]:
                return messages
            before = body["next_before"]

    async def complete() -> bool:
        return len(await history()) >= len(sent)

    await eventually(complete, timeout=20, what="every message in the history")
    messages = await history()
    assert [m["id"] for m in messages] == sent  # each once, in order
    assert [m["seq"] for m in messages] == list(range(1, len(sent) + 1))
    users = await sidebar(http, stack, bob["access_token"])
    summary = next(u for u in users if u["id"] == alice["user"]["id"])["conversation"]
    assert summary["unread"] == len(sent)
    status, out, err = await parley(stack, "verify")
    assert status == 0, out + err


async def test_replay_from_the_bus_copy_fills_what_the_bus_lost_from_the_log(
    http: httpx.AsyncClient, ops_stack: Stack, db: Any
) -> None:
    stack = ops_stack
    alice, bob = await register(http, stack, name="Alice"), await register(http, stack, name="Bob")
    for n in range(30):
        assert (await send_text(http, stack, alice, bob["user"]["id"], f"bus {n}")).status_code == 201
    await caught_up(db, stack)
    before = await snapshot(db, stack)
    # The bus keeps only the newer part of the log (as a retention limit would leave it).
    nc = await nats.connect(stack.nats.url)
    try:
        js = nc.jetstream()
        info = await js.stream_info(stack.env["PARLEY_NATS_STREAM"])
        await js.purge_stream(stack.env["PARLEY_NATS_STREAM"], seq=(info.state.first_seq + info.state.last_seq) // 2)
    finally:
        await nc.close()

    status, out, err = await parley(stack, "replay", "--source", "bus")
    assert status == 0, out + err
    assert await snapshot(db, stack) == before
    status, out, err = await parley(stack, "verify")
    assert status == 0, out + err

"""Audit and stats against a running stack: operators read the log, by the command line and over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson

from tests.e2e.replay_helpers import caught_up
from tests.support import Stack, bearer, eventually, parley, register, send_text

ADMIN_EMAIL = "ops@parley.example"


async def test_audit_filters_orders_and_hides_secrets(http: httpx.AsyncClient, ops_stack: Stack, db: Any) -> None:
    stack = ops_stack
    started = datetime.now(UTC) - timedelta(seconds=1)
    carol, dave = await register(http, stack, name="Carol"), await register(http, stack, name="Dave")
    for n in range(3):
        assert (await send_text(http, stack, carol, dave["user"]["id"], f"audit {n}")).status_code == 201
    assert (await send_text(http, stack, dave, carol["user"]["id"], "reply")).status_code == 201

    status, out, err = await parley(stack, "audit", "--user", carol["user"]["email"], "--format", "ndjson")
    assert status == 0, err
    records = [orjson.loads(line) for line in out.splitlines()]
    assert [r["type"] for r in records if r["type"] != "PresenceChanged"][:5] == ["UserRegistered"] + [
        "MessageSent"
    ] * 4
    positions = [r["position"] for r in records]
    assert positions == sorted(positions) and len(set(positions)) == len(positions)
    assert "password_hash" not in out and "$2b$" not in out
    assert all(carol["user"]["id"] in orjson.dumps(r).decode() for r in records)

    status, out, _ = await parley(
        stack, "audit", "--user", dave["user"]["id"], "--type", "MessageSent", "--format", "ndjson"
    )
    sent_by = [orjson.loads(line)["data"]["sender_id"] for line in out.splitlines()]
    assert sent_by == [carol["user"]["id"]] * 3 + [dave["user"]["id"]]

    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    status, out, _ = await parley(stack, "audit", "--since", future, "--format", "ndjson")
    assert status == 0 and out == ""
    status, out, _ = await parley(stack, "audit", "--type", "Nonsense")
    assert status == 2

    status, out, _ = await parley(stack, "audit", "--user", carol["user"]["id"], "--limit", "3")
    assert status == 0 and "UserRegistered" in out and "(3 events)" in out

    # The same trail over HTTP, for admins only.
    url = f"{stack.url('query')}/api/audit/events"
    assert (await http.get(url, headers=bearer(carol["access_token"]))).status_code == 403
    assert (await http.get(url)).status_code == 401
    admin = await register(http, stack, name="Ops", email=ADMIN_EMAIL)
    status, out, _ = await parley(stack, "admin", "grant", ADMIN_EMAIL)
    assert status == 0, out

    async def admin_projected() -> bool:
        return (await http.get(url, params={"limit": 1}, headers=bearer(admin["access_token"]))).status_code == 200

    await eventually(admin_projected, what="the admin's account projected")
    params: dict[str, Any] = {"user": carol["user"]["email"], "type": "MessageSent", "limit": 2}
    first = (await http.get(url, params=params, headers=bearer(admin["access_token"]))).json()
    assert [e["data"]["text"] for e in first["events"]] == ["audit 0", "audit 1"]
    assert first["next_after"] == first["events"][-1]["position"]
    rest = (
        await http.get(url, params={**params, "after": first["next_after"]}, headers=bearer(admin["access_token"]))
    ).json()
    assert [e["data"]["text"] for e in rest["events"]] == ["audit 2", "reply"] and rest["next_after"] is None
    everything = await http.get(
        url, params={"since": started.isoformat(), "limit": 1000}, headers=bearer(admin["access_token"])
    )
    assert everything.status_code == 200
    assert "password_hash" not in everything.text and "$2b$" not in everything.text
    assert {"UserRegistered", "MessageSent"} <= {e["type"] for e in everything.json()["events"]}
    bad = await http.get(url, params={"type": "Nope"}, headers=bearer(admin["access_token"]))
    assert bad.status_code == 422 and "Nope" in bad.json()["detail"]
    bad = await http.get(url, params={"since": "yesterday"}, headers=bearer(admin["access_token"]))
    assert bad.status_code == 422


async def test_stats_counts_events_and_shows_each_consumer(ops_stack: Stack, db: Any) -> None:
    await caught_up(db, ops_stack)
    status, out, err = await parley(ops_stack, "stats")
    assert status == 0, err
    assert "MessageSent" in out and "UserRegistered" in out
    for consumer in ("users", "conversations", "messages", "media"):
        assert f"\n{consumer} " in out

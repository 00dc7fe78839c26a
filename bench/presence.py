"""Presence benchmark: N sockets (one per user) connect at once, then all leave.

Reports the time until every presence is settled (all N users online in the `users` view, then all offline), a
timeline of each direction (sockets connected, transitions appended, the watcher told), the number of
`PresenceChanged` events appended (2N expected), and the realtime node's memory per socket. The N sockets are raw
Engine.IO clients (bench/raw_socket.py), so that this process keeps up with the node, and each names the same 30
people (a first sidebar page) with `watch_presence`; one Socket.IO client, naming nobody, hears about everyone.
Usage: `.venv/bin/python -m bench.presence --users 1000`.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import UTC
from typing import Any

import aiohttp
import httpx
import socketio
from pymongo import AsyncMongoClient

from bench.common import CpuMeter, machine, rss_mib, start_stack, stop_stack
from bench.messaging import register_users
from bench.raw_socket import RawSocket


async def run(count: int) -> None:
    # The services' own timings (the test stack's are shortened for quick tests: with nodes expired after 4 s of
    # silence, a 1,000-user storm outlasts the timeout and the node is expired while it is healthy), but a 2 s grace.
    stack, infra = start_stack(
        extra_env={
            "PARLEY_PRESENCE_GRACE_SECONDS": "2",
            "PARLEY_HEARTBEAT_SECONDS": "10",
            "PARLEY_NODE_TIMEOUT_SECONDS": "30",
            "PARLEY_PING_INTERVAL": "20",
            "PARLEY_PING_TIMEOUT": "20",
            # The users were all signed up a moment ago, as people of a real instance were not: their presence
            # would reach every socket for the first seconds after (realtime/presence_push.py).
            "PARLEY_PRESENCE_NEWCOMER_SECONDS": "1",
        }
    )
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(infra.ferretdb.url)
    events = mongo[stack.name]["events"]
    users_view = mongo[f"{stack.name}_views"]["users"]
    # The N people's sockets only answer pings (bench/raw_socket.py), so that this process keeps up with the node.
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
    sockets: list[RawSocket] = []
    watching = socketio.AsyncClient(reconnection=False)
    try:
        async with httpx.AsyncClient(timeout=30) as http:
            users = await register_users(http, stack, count + 1)
        # One more person watches: every presence push reaches them, as it reaches each user's sidebar.
        watcher, users = users[0], users[1:]
        ids = [u["user"]["id"] for u in users]
        state: dict[str, bool] = {}
        told_at: dict[tuple[str, bool], float] = {}  # (user, online) -> when the watcher was first told

        async def on_presence(data: dict[str, Any]) -> None:
            state[data["user_id"]] = online = bool(data["online"])
            told_at.setdefault((data["user_id"], online), time.perf_counter())

        async def on_presences(data: dict[str, Any]) -> None:
            for change in data["changes"]:
                await on_presence(change)

        watching.on("presence", on_presence)
        watching.on("presences", on_presences)
        await watching.connect(
            stack.url("realtime"),
            auth={"token": watcher["access_token"]},
            headers={"Origin": "http://localhost:8080"},
            transports=["websocket"],
        )
        realtime = stack.process("realtime").proc
        assert realtime is not None
        await asyncio.sleep(1)
        rss_before = rss_mib(realtime.pid)
        meter = CpuMeter({p.name: p for p in stack.processes} | {"ferretdb": infra.ferretdb.process})

        # Each person's client names the people it shows, as the web client does: here the same first sidebar page
        # of 30 for everyone (the watcher, who names nobody, hears about everyone).
        first_page = ids[:30]

        async def connect(user: dict[str, Any]) -> None:
            socket = await RawSocket.connect(session, stack.url("realtime"), user["access_token"])
            await socket.emit("watch_presence", {"user_ids": first_page})
            sockets.append(socket)

        async def appended_at(online: bool) -> list[float]:
            """When each user's transition was appended (wall clock)."""
            query = {"type": "PresenceChanged", "data.user_id": {"$in": ids}, "data.online": online}
            found = events.find(query, {"occurred_at": 1})
            return [doc["occurred_at"].replace(tzinfo=UTC).timestamp() async for doc in found]

        async def settled(online: bool, timeout: float = 300.0) -> float:
            """Seconds until the watcher was told every user's new state, then until the users view says so."""
            start = time.perf_counter()
            while (done := sum(state.get(i) is online for i in ids)) < count:
                if time.perf_counter() - start > timeout:
                    word = "online" if online else "offline"
                    raise TimeoutError(f"only {done} of {count} users {word} after {timeout:.0f}s")
                await asyncio.sleep(0.01)
            pushed = time.perf_counter() - start
            while await users_view.count_documents({"_id": {"$in": ids}, "online": online}) < count:
                await asyncio.sleep(0.5)  # the view is read rarely: polling it would load the database
            print(f"  {'online' if online else 'offline'}: pushed to the watcher after {pushed:.1f}s")
            return time.perf_counter() - start

        connected_at: list[float] = []

        async def connect_timed(user: dict[str, Any]) -> None:
            await connect(user)
            connected_at.append(time.perf_counter())

        meter.start()
        t0, wall0 = time.perf_counter(), time.time()
        await asyncio.gather(*(connect_timed(u) for u in users))
        connected = time.perf_counter() - t0
        online_after = connected + await settled(True)
        rss_after = rss_mib(realtime.pid)
        pushes = sum(s.received for s in sockets)
        mine = {"type": "PresenceChanged", "data.user_id": {"$in": ids}}  # not the watcher's own
        online_events = await events.count_documents({**mine, "data.online": True})

        online_told = [told_at[(i, True)] for i in ids if (i, True) in told_at]
        online_appended = await appended_at(True)
        t1, wall1 = time.perf_counter(), time.time()
        await asyncio.gather(*(asyncio.wait_for(s.close(), 30) for s in sockets), return_exceptions=True)
        sockets.clear()
        offline_after = time.perf_counter() - t1 + await settled(False)
        cpu = meter.stop()
        total = await events.count_documents(mine)
        offline_appended = await appended_at(False)
        print()
        print(f"machine: {machine()}")
        print(f"{count} sockets ({count} users) connecting at once to one realtime node, grace 2 s")
        print(f"all connected in {connected:.1f}s; every presence settled online {online_after:.1f}s after the start")
        print(
            f"all disconnected; every presence settled offline {offline_after:.1f}s after the first leave "
            f"(includes the 2 s grace)"
        )
        print(f"sockets connected, seconds after the start: {_deciles(connected_at, t0)}")
        print(f"PresenceChanged online appended, seconds after the start: {_deciles(online_appended, wall0)}")
        print(f"watcher told online, seconds after the start: {_deciles(online_told, t0)}")
        print(f"PresenceChanged offline appended, seconds after the first leave: {_deciles(offline_appended, wall1)}")
        offline_told = [told_at[(i, False)] for i in ids if (i, False) in told_at]
        print(f"watcher told offline, seconds after the first leave: {_deciles(offline_told, t1)}")
        print(f"packets pushed to the {count} sockets while they came online: {pushes} ({pushes / count:.1f} each)")
        print(f"PresenceChanged appended: {online_events} online, {total - online_events} offline, {total} in all")
        print(
            f"realtime node RSS {rss_before:.0f} MiB -> {rss_after:.0f} MiB with {count} sockets: "
            f"{(rss_after - rss_before) * 1024 / count:.1f} KiB per socket"
        )
        print("CPU over the run (% of one core): " + ", ".join(f"{k} {v:.0f}%" for k, v in sorted(cpu.items())))
    finally:
        await asyncio.gather(
            asyncio.wait_for(watching.disconnect(), 5),
            *(asyncio.wait_for(s.close(), 5) for s in sockets),
            return_exceptions=True,
        )
        await session.close()
        await mongo.close()
        stop_stack(stack, infra)


def _deciles(times: list[float], start: float) -> str:
    """10th, 50th, 90th and 100th percentiles of ``times`` as seconds after ``start``."""
    if not times:
        return "none"
    ordered = sorted(t - start for t in times)
    picks = {f"p{q}": ordered[min(len(ordered) - 1, len(ordered) * q // 100)] for q in (10, 50, 90)}
    return ", ".join(f"{k} {v:.1f}" for k, v in picks.items()) + f", last {ordered[-1]:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=1000)
    args = parser.parse_args()
    asyncio.run(run(args.users))


if __name__ == "__main__":
    main()

"""Presence benchmark: N sockets (one per user) connect at once, then all leave.

Reports the time until every presence is settled (all N users online in the `users` view, then all offline), the
number of `PresenceChanged` events appended (2N expected), and the realtime node's memory per socket.
Usage: `.venv/bin/python -m bench.presence --users 1000`.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

import httpx
import socketio
from pymongo import AsyncMongoClient

from bench.common import CpuMeter, machine, rss_mib, start_stack, stop_stack
from bench.messaging import register_users


async def run(count: int) -> None:
    stack, infra = start_stack(extra_env={"PARLEY_PRESENCE_GRACE_SECONDS": "2"})
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(infra.ferretdb.url)
    events = mongo[stack.name]["events"]
    users_view = mongo[f"{stack.name}_views"]["users"]
    sockets: list[socketio.AsyncClient] = []
    try:
        async with httpx.AsyncClient(timeout=30) as http:
            users = await register_users(http, stack, count)
        ids = [u["user"]["id"] for u in users]
        realtime = stack.process("realtime").proc
        assert realtime is not None
        await asyncio.sleep(1)
        rss_before = rss_mib(realtime.pid)
        meter = CpuMeter({p.name: p for p in stack.processes} | {"ferretdb": infra.ferretdb.process})

        async def connect(user: dict[str, Any]) -> None:
            client = socketio.AsyncClient(reconnection=False)
            await client.connect(
                stack.url("realtime"),
                auth={"token": user["access_token"]},
                headers={"Origin": "http://localhost:8080"},
                transports=["websocket"],
                wait_timeout=60,
            )
            sockets.append(client)

        async def settled(online: bool) -> float:
            start = time.perf_counter()
            while await users_view.count_documents({"_id": {"$in": ids}, "online": online}) < count:
                await asyncio.sleep(0.2)
            return time.perf_counter() - start

        meter.start()
        t0 = time.perf_counter()
        await asyncio.gather(*(connect(u) for u in users))
        connected = time.perf_counter() - t0
        online_after = connected + await settled(True)
        rss_after = rss_mib(realtime.pid)
        online_events = await events.count_documents({"type": "PresenceChanged", "data.online": True})

        t1 = time.perf_counter()
        await asyncio.gather(*(asyncio.wait_for(s.disconnect(), 30) for s in sockets), return_exceptions=True)
        sockets.clear()
        offline_after = time.perf_counter() - t1 + await settled(False)
        cpu = meter.stop()
        total = await events.count_documents({"type": "PresenceChanged"})
        print()
        print(f"machine: {machine()}")
        print(f"{count} sockets ({count} users) connecting at once to one realtime node, grace 2 s")
        print(f"all connected in {connected:.1f}s; every presence settled online {online_after:.1f}s after the start")
        print(
            f"all disconnected; every presence settled offline {offline_after:.1f}s after the first leave "
            f"(includes the 2 s grace)"
        )
        print(f"PresenceChanged appended: {online_events} online, {total - online_events} offline, {total} in all")
        print(
            f"realtime node RSS {rss_before:.0f} MiB -> {rss_after:.0f} MiB with {count} sockets: "
            f"{(rss_after - rss_before) * 1024 / count:.1f} KiB per socket"
        )
        print("CPU over the run (% of one core): " + ", ".join(f"{k} {v:.0f}%" for k, v in sorted(cpu.items())))
    finally:
        await asyncio.gather(*(asyncio.wait_for(s.disconnect(), 5) for s in sockets), return_exceptions=True)
        await mongo.close()
        stop_stack(stack, infra)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=1000)
    args = parser.parse_args()
    asyncio.run(run(args.users))


if __name__ == "__main__":
    main()

"""Messaging benchmark: N pairs of Socket.IO clients sending through the command API.

Measures send-to-receive latency (POST sent -> `message` event at the receiver's socket), sustained throughput
and each process's CPU. Usage: `.venv/bin/python -m bench.messaging --pairs 500 --rate 200 --seconds 30`.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
import uuid
from typing import Any

import aiohttp
import httpx
import socketio

from bench.common import CpuMeter, machine, percentile, start_stack, stop_stack
from shared.gc_tuning import freeze_startup_objects
from tests.support import Stack, bearer


async def register_users(http: httpx.AsyncClient, stack: Stack, count: int) -> list[dict[str, Any]]:
    sem = asyncio.Semaphore(16)

    async def one(i: int) -> dict[str, Any]:
        async with sem:
            body = {
                "name": f"Bench {i}",
                "email": f"bench-{uuid.uuid4().hex[:12]}@example.com",
                "password": "benchmark pw",
            }
            r = await http.post(f"{stack.url('command')}/api/auth/register", json=body)
            r.raise_for_status()
            result: dict[str, Any] = r.json()
            return result

    return list(await asyncio.gather(*(one(i) for i in range(count))))


async def run(pairs: int, rate: float, seconds: float, nodes: int) -> None:
    stack, infra = start_stack(realtime_nodes=nodes)
    sockets: list[socketio.AsyncClient] = []
    try:
        limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
        async with httpx.AsyncClient(timeout=30, limits=limits) as http:
            users = await register_users(http, stack, pairs * 2)
            sent_at: dict[str, float] = {}
            latencies: list[float] = []
            # When each measured message arrived (seconds since the start) and how long it took: where the tail is.
            arrivals: list[tuple[float, float]] = []
            answers: list[float] = []  # POST sent -> 201 received: the command side's share
            realtime_urls = [stack.url("realtime" if i == 0 else f"realtime{i + 1}") for i in range(nodes)]

            async def connect(i: int, user: dict[str, Any]) -> None:
                client = socketio.AsyncClient(reconnection=False)
                me = user["user"]["id"]

                async def on_message(message: dict[str, Any]) -> None:
                    if message["receiver_id"] == me and message["client_msg_id"] in sent_at:
                        arrived = time.perf_counter()
                        latencies.append(arrived - sent_at.pop(message["client_msg_id"]))
                        arrivals.append((arrived, latencies[-1]))

                client.on("message", on_message)
                await client.connect(
                    realtime_urls[i % nodes],
                    auth={"token": user["access_token"]},
                    headers={"Origin": "http://localhost:8080"},
                    transports=["websocket"],
                    wait_timeout=30,
                )
                sockets.append(client)

            sem = asyncio.Semaphore(50)

            async def connect_limited(i: int, user: dict[str, Any]) -> None:
                async with sem:
                    await connect(i, user)

            t0 = time.perf_counter()
            await asyncio.gather(*(connect_limited(i, u) for i, u in enumerate(users)))
            connect_seconds = time.perf_counter() - t0
            print(f"{len(sockets)} sockets connected in {connect_seconds:.1f}s")

            # Warm-up, not measured: one message per pair, so each conversation's head is known to the command
            # side (on FerretDB a cold lookup scans the log; MongoDB answers it from an index).
            warm = asyncio.Semaphore(20)

            async def warm_pair(pair: int) -> None:
                async with warm:
                    a, b = users[2 * pair], users[2 * pair + 1]
                    r = await http.post(
                        f"{stack.url('command')}/api/messages",
                        json={"to": b["user"]["id"], "type": "text", "text": "hi", "client_msg_id": uuid.uuid4().hex},
                        headers=bearer(a["access_token"]),
                    )
                    r.raise_for_status()

            await asyncio.gather(*(warm_pair(p) for p in range(pairs)))
            await asyncio.sleep(2)

            meter = CpuMeter(
                {p.name: p for p in stack.processes} | {"ferretdb": infra.ferretdb.process, "nats": infra.nats.process}
            )
            errors = 0
            inflight: set[asyncio.Task[None]] = set()

            session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=200))

            async def send_one(n: int) -> None:
                nonlocal errors
                pair = random.randrange(pairs)
                sender, receiver = (
                    (users[2 * pair], users[2 * pair + 1]) if n % 2 else (users[2 * pair + 1], users[2 * pair])
                )
                client_msg_id = uuid.uuid4().hex
                sent_at[client_msg_id] = posted = time.perf_counter()
                async with session.post(
                    f"{stack.url('command')}/api/messages",
                    json={
                        "to": receiver["user"]["id"],
                        "type": "text",
                        "text": f"bench {n} 🚀",
                        "client_msg_id": client_msg_id,
                    },
                    headers=bearer(sender["access_token"]),
                ) as r:
                    status = r.status
                    await r.read()
                answers.append(time.perf_counter() - posted)
                if status != 201:
                    errors += 1
                    sent_at.pop(client_msg_id, None)

            lags: list[tuple[float, float]] = []

            async def watch_own_loop() -> None:
                """This process is a measuring instrument: note when its own event loop was held up."""
                while True:
                    before = time.perf_counter()
                    await asyncio.sleep(0.01)
                    late = time.perf_counter() - before - 0.01
                    if late > 0.02:
                        lags.append((before, late))

            watcher = asyncio.create_task(watch_own_loop())
            # The 1,000 clients are set up: keep the collector off them, so this process's pauses do not count.
            freeze_startup_objects()
            meter.start()
            own_cpu = time.process_time()
            start = time.perf_counter()
            total = int(rate * seconds)
            for n in range(total):
                # open-loop pacing: send on schedule whatever the answers' speed
                delay = start + n / rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                task = asyncio.create_task(send_one(n))
                inflight.add(task)
                task.add_done_callback(inflight.discard)
            await asyncio.gather(*inflight)
            deadline = time.perf_counter() + 10
            while sent_at and time.perf_counter() < deadline:
                await asyncio.sleep(0.05)
            elapsed = time.perf_counter() - start
            cpu = meter.stop()
            await session.close()
            cpu["bench client"] = (time.process_time() - own_cpu) / elapsed * 100

        watcher.cancel()
        ms = [x * 1000 for x in latencies]
        print()
        print(f"machine: {machine()}")
        print(
            f"pairs {pairs}, sockets {len(sockets)}, realtime nodes {nodes}, target {rate:.0f} msg/s for {seconds:.0f}s"
        )
        print(
            f"sent {total}, received {len(latencies)}, lost {len(sent_at)}, errors {errors}, "
            f"throughput {len(latencies) / elapsed:.1f} msg/s"
        )
        print(
            f"send-to-receive latency: p50 {percentile(ms, 50):.1f} ms, p95 {percentile(ms, 95):.1f} ms, "
            f"p99 {percentile(ms, 99):.1f} ms, max {max(ms):.1f} ms"
        )
        answered = [x * 1000 for x in answers]
        print(
            f"POST answered: p50 {percentile(answered, 50):.1f} ms, p95 {percentile(answered, 95):.1f} ms, "
            f"p99 {percentile(answered, 99):.1f} ms"
        )
        slowest = sorted(arrivals, key=lambda a: -a[1])[: max(1, len(arrivals) // 100)]
        print(
            "slowest 1% arrived at (s after the start): " + ", ".join(f"{at - start:.1f}" for at, _ in sorted(slowest))
        )
        print(
            f"the benchmark's own event loop was held up {len(lags)} times by more than 20 ms: "
            + ", ".join(f"{late * 1000:.0f} ms at {at - start:.1f}s" for at, late in lags if late > 0.05)
        )
        print("CPU (% of one core): " + ", ".join(f"{k} {v:.0f}%" for k, v in sorted(cpu.items())))
    finally:
        await asyncio.gather(*(asyncio.wait_for(s.disconnect(), 5) for s in sockets), return_exceptions=True)
        stop_stack(stack, infra)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pairs", type=int, default=500)
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--nodes", type=int, default=1)
    args = parser.parse_args()
    try:
        import uvloop

        uvloop.run(run(args.pairs, args.rate, args.seconds, args.nodes))
    except ImportError:
        asyncio.run(run(args.pairs, args.rate, args.seconds, args.nodes))


if __name__ == "__main__":
    main()

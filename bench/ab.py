"""Two checkouts side by side: the same requests timed on a stack of each, in alternating blocks.

This machine's speed drifts by half within minutes, so timing one version after the other measures the drift as
much as the change. Here both stacks run at once, each from its own checkout (its own services, FerretDB and
NATS); requests alternate between them in blocks, the order swapping every block, and while one stack is timed
the other is paused (SIGSTOP), so that its timers and polls do not share the two cores. Each side reports p50 and
p90 latency and the CPU its query API, command API, projector and FerretDB spent per request.

Usage: ``.venv/bin/python -m bench.ab --a /tmp/before --b . --requests history,older,me``. A checkout needs its
``.venv`` and ``bin`` (a worktree can link the main checkout's). Each side is this file run as a script from the
other checkout (``serve``), so the older side needs nothing of this module.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.common import cpu_seconds

# The processes whose CPU is reported (by the start of their name in the stack).
MEASURED = ("query", "command", "projector", "ferretdb")


def serve(out: Path) -> None:
    """Start a stack from the checkout on PYTHONPATH, fill it, write what the driver needs to ``out``; stay up until
    ``out`` is removed or SIGTERM."""
    import httpx

    from bench.common import start_stack, stop_stack

    stack, infra = start_stack(realtime_nodes=1)
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    try:
        with httpx.Client(timeout=30) as http:
            command, query = stack.url("command"), stack.url("query")

            def register(name: str) -> dict[str, Any]:
                body = {"name": name, "email": f"{uuid.uuid4().hex[:12]}@example.com", "password": "side by side"}
                response = http.post(f"{command}/api/auth/register", json=body)
                response.raise_for_status()
                answer: dict[str, Any] = response.json()
                return answer

            alice, bob = register("Alice Side"), register("Bob Side")
            others = [register(f"Peer {i}") for i in range(40)]
            # A conversation of 240 messages, both ways: 15 sealed buckets of history.
            for i in range(240):
                sender, to = (alice, bob) if i % 2 else (bob, alice)
                body = {"to": to["user"]["id"], "type": "text", "text": f"m {i}", "client_msg_id": uuid.uuid4().hex}
                headers = {"Authorization": f"Bearer {sender['access_token']}"}
                http.post(f"{command}/api/messages", json=body, headers=headers).raise_for_status()
            time.sleep(3)  # projected
            headers = {"Authorization": f"Bearer {alice['access_token']}"}
            position = http.get(f"{query}/api/me", headers=headers).json()["sync_position"]
        pids = {p.name: p.proc.pid for p in stack.processes if p.proc is not None}
        pids["ferretdb"] = infra.ferretdb.process.proc.pid  # type: ignore[union-attr]
        side = {
            "command": command,
            "query": query,
            "token": alice["access_token"],
            "peer": bob["user"]["id"],
            "others": [o["user"]["id"] for o in others],
            "position": position,
            "pids": {name: pid for name, pid in pids.items() if name.startswith(MEASURED)},
        }
        out.with_suffix(".tmp").write_text(json.dumps(side))
        out.with_suffix(".tmp").rename(out)
        while not stopping and out.exists():
            time.sleep(0.5)
    finally:
        stop_stack(stack, infra)


def signal_side(side: dict[str, Any], signum: int) -> None:
    for pid in side["pids"].values():
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            pass


Call = Callable[[int], Any]


def calls(side: dict[str, Any], lean: Any) -> dict[str, Call]:
    """Each request the driver can time, as a call on one side (``i`` varies the send's conversation)."""
    headers = {"Authorization": f"Bearer {side['token']}"}
    query, command = side["query"], side["command"]
    history = f"{query}/api/conversations/{side['peer']}/messages"
    return {
        "me": lambda i: lean.get(f"{query}/api/me", headers=headers),
        "history": lambda i: lean.get(history, headers=headers),
        "older": lambda i: lean.get(history, params={"before": 150}, headers=headers),
        "sidebar": lambda i: lean.get(f"{query}/api/users", headers=headers),
        "sync": lambda i: lean.get(f"{query}/api/sync", params={"after": side["position"] - 100}, headers=headers),
        "send": lambda i: lean.post(
            f"{command}/api/messages",
            json={"to": side["others"][i % 40], "type": "text", "text": "x", "client_msg_id": uuid.uuid4().hex},
            headers=headers,
        ),
    }


def time_request(name: str, sides: dict[str, dict[str, Any]], lean: Any, samples: int, block: int) -> None:
    times: dict[str, list[float]] = {label: [] for label in sides}
    used: dict[str, dict[str, float]] = {label: dict.fromkeys(side["pids"], 0.0) for label, side in sides.items()}
    done = 0
    while done < samples:
        for label in list(sides) if (done // block) % 2 == 0 else list(sides)[::-1]:
            side = sides[label]
            call = calls(side, lean)[name]
            signal_side(side, signal.SIGCONT)
            call(done).raise_for_status()  # untimed: the side sat paused while the other was timed
            before = {process: cpu_seconds(pid) for process, pid in side["pids"].items()}
            for i in range(block):
                started = time.perf_counter()
                response = call(done + i)
                times[label].append((time.perf_counter() - started) * 1000)
                response.raise_for_status()
            for process, pid in side["pids"].items():
                used[label][process] += cpu_seconds(pid) - before[process]
            signal_side(side, signal.SIGSTOP)
        done += block
    for label, taken in times.items():
        ordered = sorted(taken)
        p50, p90 = statistics.median(ordered), ordered[int(len(ordered) * 0.9)]
        cpu = " ".join(f"{process} {seconds / len(taken) * 1000:.2f}" for process, seconds in used[label].items())
        print(f"{name:8} {label}: p50 {p50:6.2f} ms  p90 {p90:6.2f} ms  CPU ms per request: {cpu}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--a", type=Path, required=True, help="the first checkout (before)")
    parser.add_argument("--b", type=Path, required=True, help="the second checkout (after)")
    parser.add_argument(
        "--requests", default="history,older,me", help="comma-separated, of: me, history, older, sidebar, sync, send"
    )
    parser.add_argument("--samples", type=int, default=400, help="timed requests of each kind on each side")
    parser.add_argument("--block", type=int, default=20, help="requests of one side in a row")
    args = parser.parse_args()

    from bench.lean_http import LeanHttp

    workdir = Path(tempfile.mkdtemp(prefix="parley-ab-"))
    outs = {label: workdir / f"{label}.json" for label in ("A", "B")}
    servers = [
        subprocess.Popen(
            [str(checkout.resolve() / ".venv/bin/python"), __file__, "serve", str(outs[label])],
            cwd=checkout,
            env={**os.environ, "PYTHONPATH": str(checkout.resolve())},
            stdout=subprocess.DEVNULL,
        )
        for label, checkout in (("A", args.a), ("B", args.b))
    ]
    sides: dict[str, dict[str, Any]] = {}
    try:
        while not all(out.exists() for out in outs.values()):
            if any(server.poll() is not None for server in servers):
                sys.exit("a side stopped before it was ready")
            time.sleep(0.5)
        sides = {label: json.loads(out.read_text()) for label, out in outs.items()}
        print(f"A: {args.a}\nB: {args.b}", flush=True)
        for side in sides.values():
            signal_side(side, signal.SIGSTOP)
        with LeanHttp() as lean:
            for name in args.requests.split(","):
                time_request(name, sides, lean, args.samples, args.block)
    finally:
        for side in sides.values():
            signal_side(side, signal.SIGCONT)
        for out in outs.values():
            out.unlink(missing_ok=True)
        for server in servers:
            server.wait(timeout=120)


if __name__ == "__main__":
    if sys.argv[1:2] == ["serve"]:
        serve(Path(sys.argv[2]))
    else:
        main()

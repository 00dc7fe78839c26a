"""Chaos benchmark: messaging with retries while one process fails, then checks that nothing was lost or doubled.

For each fault (kill -9 and restart of a process, a database or NATS outage), a fresh stack carries traffic: senders
post messages at a steady rate and retry each on the same ``client_msg_id`` until it is acknowledged (as the web
client does), receivers hold sockets and record every push. The fault strikes a quarter of the way in. After the
traffic, every receiver catches up from where it started (``GET /api/sync``), and the run checks:

- every acknowledged message is in the log exactly once, and nothing unacknowledged is there;
- it is in both participants' history exactly once;
- it reached its receiver: no socket got any message twice, and pushes plus the catch-up hold every one;
- ``parley verify`` passes, every consumer at the log's head;

and reports the window during which sends failed and how many answers were 5xx. `tests/e2e/test_chaos.py` runs a
few faults at a low rate in `make test`.

Usage: `.venv/bin/python -m bench.chaos [--faults kill-command,db-down-60s] [--pairs 20] [--rate 50]
[--seconds 40]`.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import socketio
from pymongo import AsyncMongoClient

from bench.common import machine, start_stack, stop_stack
from tests.support import FerretDB, Infra, NatsServer, Stack, bearer, parley

# --- faults --------------------------------------------------------------------------------------------------------

Inject = Callable[[Stack, Infra], Awaitable[None]]


def _kill_and_restart(service: str) -> Inject:
    async def inject(stack: Stack, infra: Infra) -> None:
        process = stack.process(service)
        process.kill()  # SIGKILL: no goodbye
        process.start()
        await asyncio.to_thread(stack.wait_ready, service)

    return inject


def _outage(server: Callable[[Infra], FerretDB | NatsServer], seconds: float, *, kill: bool = False) -> Inject:
    """The database or NATS stopped (or killed), then started again after ``seconds``."""

    async def inject(stack: Stack, infra: Infra) -> None:
        down = server(infra)
        down.process.kill() if kill else down.stop()
        await asyncio.sleep(seconds)
        await asyncio.to_thread(down.start)

    return inject


def _database(infra: Infra) -> FerretDB:
    return infra.ferretdb


def _nats(infra: Infra) -> NatsServer:
    return infra.nats


FAULTS: dict[str, Inject] = {
    "kill-command": _kill_and_restart("command"),
    "kill-query": _kill_and_restart("query"),
    "kill-projector": _kill_and_restart("projector"),
    "kill-realtime": _kill_and_restart("realtime"),
    "kill-ferretdb": _outage(_database, 0.5, kill=True),
    "kill-nats": _outage(_nats, 0.5, kill=True),
    "db-down-2s": _outage(_database, 2),
    "db-down-60s": _outage(_database, 60),
    "nats-down-2s": _outage(_nats, 2),
    "nats-down-30s": _outage(_nats, 30),
}

# --- traffic -------------------------------------------------------------------------------------------------------


@dataclass
class Person:
    id: str
    token: str
    start: int  # the log position to catch up from (GET /api/me's sync_position when the run began)
    socket: socketio.AsyncClient | None = None
    pushed: list[str] = field(default_factory=list)  # message ids, in the order the socket got them


@dataclass
class Outcome:
    fault: str
    acknowledged: int
    problems: list[str]
    attempts: int
    server_errors: int  # answers >= 500
    unreachable: int  # attempts that got no answer at all
    failing_seconds: float  # from the first failed attempt to the last one
    verify: str
    # Failed attempts by answer ("no answer": refused, or nothing within 10 s) and when the last one came,
    # counted from the fault's start.
    failures: dict[str, int] = field(default_factory=dict)
    last_failure_after: float = 0.0

    @property
    def passed(self) -> bool:
        return not self.problems


async def _register(http: httpx.AsyncClient, stack: Stack, name: str) -> Person:
    body = {"name": name, "email": f"chaos-{uuid.uuid4().hex[:12]}@example.com", "password": "chaos pw chaos"}
    registered = (await http.post(f"{stack.url('command')}/api/auth/register", json=body)).raise_for_status().json()
    token = registered["access_token"]
    for _ in range(200):  # projected a moment after the sign-up
        me = await http.get(f"{stack.url('query')}/api/me", headers=bearer(token))
        if me.status_code == 200:
            return Person(registered["user"]["id"], token, int(me.json()["sync_position"]))
        await asyncio.sleep(0.05)
    raise RuntimeError("a sign-up was never projected")


async def _connect(stack: Stack, person: Person) -> None:
    # Reconnects by itself after a node dies, like the web client.
    client = socketio.AsyncClient(reconnection=True, reconnection_delay=0.2, reconnection_delay_max=1)

    async def on_message(data: Any) -> None:
        person.pushed.append(data["id"])

    client.on("message", on_message)
    await client.connect(
        stack.url("realtime"),
        auth={"token": person.token},
        headers={"Origin": "http://localhost:8080"},
        transports=["websocket"],
        wait_timeout=5,
    )
    person.socket = client


# Requests the senders have open at once, at most (the rest wait their turn, as a browser's would).
_IN_FLIGHT = 100


@dataclass
class Sends:
    acknowledged: dict[str, tuple[str, str]] = field(default_factory=dict)  # message id -> (sender, receiver)
    attempts: list[tuple[float, int | None]] = field(default_factory=list)  # (when, status or None: no answer)
    abandoned: int = 0


async def _send_until_acknowledged(
    http: httpx.AsyncClient,
    stack: Stack,
    sender: Person,
    receiver: Person,
    sends: Sends,
    deadline: float,
    in_flight: asyncio.Semaphore,
) -> None:
    body = {
        "to": receiver.id,
        "type": "text",
        "text": f"chaos {uuid.uuid4().hex[:8]}",
        "client_msg_id": uuid.uuid4().hex,
    }
    while time.monotonic() < deadline:
        try:
            async with in_flight:
                answer = await http.post(
                    f"{stack.url('command')}/api/messages", json=body, headers=bearer(sender.token), timeout=10
                )
        except httpx.HTTPError:
            sends.attempts.append((time.monotonic(), None))
            await asyncio.sleep(0.5)
            continue
        sends.attempts.append((time.monotonic(), answer.status_code))
        if answer.status_code == 201:
            sends.acknowledged[answer.json()["message"]["id"]] = (sender.id, receiver.id)
            return
        retry_after = float(answer.headers.get("Retry-After", "0.5") or 0.5)
        await asyncio.sleep(min(retry_after, 2.0))
    sends.abandoned += 1


async def _traffic(
    http: httpx.AsyncClient,
    stack: Stack,
    pairs: list[tuple[Person, Person]],
    rate: float,
    seconds: float,
    sends: Sends,
    give_up_after: float,
) -> None:
    started = time.monotonic()
    deadline = started + seconds + give_up_after
    tasks = []
    sent = 0
    in_flight = asyncio.Semaphore(_IN_FLIGHT)
    while time.monotonic() - started < seconds:
        sender, receiver = pairs[sent % len(pairs)]
        if sent % 2:
            sender, receiver = receiver, sender
        tasks.append(
            asyncio.create_task(_send_until_acknowledged(http, stack, sender, receiver, sends, deadline, in_flight))
        )
        sent += 1
        await asyncio.sleep(max(0.0, started + sent / rate - time.monotonic()))
    await asyncio.gather(*tasks)


# --- checks --------------------------------------------------------------------------------------------------------


async def _caught_up(http: httpx.AsyncClient, stack: Stack, person: Person) -> list[str]:
    """Every message id the catch-up from the person's start position returns, in order (repeats included)."""
    ids: list[str] = []
    after = person.start
    for _ in range(10_000):
        page = (
            (await http.get(f"{stack.url('query')}/api/sync", params={"after": after}, headers=bearer(person.token)))
            .raise_for_status()
            .json()
        )
        ids += [m["id"] for m in page["messages"]]
        if not page["more"] or page["position"] <= after:
            return ids
        after = page["position"]
    raise RuntimeError("the catch-up never ended")


async def _history(http: httpx.AsyncClient, stack: Stack, viewer: Person, peer: Person) -> list[str]:
    ids: list[str] = []
    before: int | None = None
    while True:
        params = {"limit": 100, **({"before": before} if before else {})}
        page = (
            (
                await http.get(
                    f"{stack.url('query')}/api/conversations/{peer.id}/messages",
                    params=params,
                    headers=bearer(viewer.token),
                )
            )
            .raise_for_status()
            .json()
        )
        ids += [m["id"] for m in page["messages"]]
        before = page["next_before"]
        if before is None:
            return ids


async def _logged(stack: Stack, infra: Infra) -> Counter[str]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(infra.ferretdb.url)
    try:
        events = client[stack.name]["events"]
        return Counter([doc["data"]["message_id"] async for doc in events.find({"type": "MessageSent"})])
    finally:
        await client.close()


async def _verify(stack: Stack) -> tuple[int, str]:
    status, out, err = await parley(stack, "verify", "--settle", "60", timeout=300)
    return status, out + err


async def _eventually(probe: Callable[[], Awaitable[bool]], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await probe():
            return True
        await asyncio.sleep(0.25)
    return False


async def run_fault(
    name: str, *, pairs: int, rate: float, seconds: float, settle: float = 90.0, give_up_after: float = 120.0
) -> Outcome:
    """One fault on a fresh stack of its own; returns what the checks found."""
    stack, infra = start_stack(extra_env={"PARLEY_MONGODB_TIMEOUT_MS": "2000"})
    try:
        async with httpx.AsyncClient(timeout=30) as http:
            people = [await _register(http, stack, f"Chaos {i}") for i in range(pairs * 2)]
            for person in people:
                await _connect(stack, person)
            couples = [(people[2 * i], people[2 * i + 1]) for i in range(pairs)]
            sends = Sends()
            # The senders have a client of their own: thousands of retries through an outage wear its pool out,
            # and the checks after must not inherit that.
            async with httpx.AsyncClient(limits=httpx.Limits(max_connections=_IN_FLIGHT)) as senders:
                traffic = asyncio.create_task(_traffic(senders, stack, couples, rate, seconds, sends, give_up_after))
                await asyncio.sleep(seconds / 4)
                struck = time.monotonic()
                await FAULTS[name](stack, infra)
                await traffic
            problems: list[str] = []
            if sends.abandoned:
                problems.append(f"{sends.abandoned} messages never acknowledged")
            acknowledged = sends.acknowledged

            # Deliveries settle (a restarted projector or node catches up) before the read checks.
            async def delivered() -> bool:
                for person in people:
                    mine = {m for m, (_, to) in acknowledged.items() if to == person.id}
                    if not mine <= set(await _caught_up(http, stack, person)) | set(person.pushed):
                        return False
                return True

            await _eventually(delivered, settle)
            logged = await _logged(stack, infra)
            if doubled := [m for m, n in logged.items() if n > 1]:
                problems.append(f"{len(doubled)} messages in the log more than once")
            if missing := [m for m in acknowledged if m not in logged]:
                problems.append(f"{len(missing)} acknowledged messages missing from the log")
            if unacknowledged := [m for m in logged if m not in acknowledged]:
                problems.append(f"{len(unacknowledged)} messages in the log never acknowledged")
            for a, b in couples:
                for viewer, peer in ((a, b), (b, a)):
                    history = Counter(await _history(http, stack, viewer, peer))
                    ours = [m for m, (s, r) in acknowledged.items() if {s, r} == {a.id, b.id}]
                    if absent := [m for m in ours if history[m] != 1]:
                        problems.append(f"{len(absent)} messages not exactly once in {viewer.id}'s history")
            for person in people:
                if twice := [m for m, n in Counter(person.pushed).items() if n > 1]:
                    problems.append(f"{len(twice)} messages pushed twice to one socket")
                caught = await _caught_up(http, stack, person)
                if repeated := [m for m, n in Counter(caught).items() if n > 1]:
                    problems.append(f"{len(repeated)} messages twice in one catch-up")
                mine = {m for m, (_, to) in acknowledged.items() if to == person.id}
                if lost := mine - set(caught) - set(person.pushed):
                    problems.append(f"{len(lost)} messages never reached their receiver")
            status, verify_out = await _verify(stack)
            if status != 0:
                problems.append("parley verify failed")
            failed = [when for when, code in sends.attempts if code != 201]
            failures = Counter(str(code or "no answer") for _, code in sends.attempts if code != 201)
            if failures.get("500"):
                problems.append(f"{failures['500']} answers 500 (an internal error)")
            return Outcome(
                fault=name,
                acknowledged=len(acknowledged),
                problems=problems,
                attempts=len(sends.attempts),
                server_errors=sum(1 for _, code in sends.attempts if code is not None and code >= 500),
                unreachable=sum(1 for _, code in sends.attempts if code is None),
                failing_seconds=(max(failed) - min(failed)) if failed else 0.0,
                verify=verify_out.strip().splitlines()[-1] if verify_out.strip() else "",
                failures=dict(failures),
                last_failure_after=(max(failed) - struck) if failed else 0.0,
            )
    finally:
        for person in locals().get("people", []):
            if person.socket is not None:
                await person.socket.disconnect()
        stop_stack(stack, infra)


def table(outcomes: list[Outcome]) -> str:
    rows = [
        "| fault | acknowledged | sends failing for | 5xx answers | no answer | checks |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for o in outcomes:
        checks = "all passed" if o.passed else "; ".join(o.problems)
        rows.append(
            f"| {o.fault} | {o.acknowledged} | {o.failing_seconds:.1f} s | {o.server_errors} | {o.unreachable} | "
            f"{checks} |"
        )
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--faults", default=",".join(FAULTS), help=f"comma-separated, of: {', '.join(FAULTS)}")
    parser.add_argument("--pairs", type=int, default=20)
    parser.add_argument("--rate", type=float, default=50.0, help="messages per second, all pairs together")
    parser.add_argument("--seconds", type=float, default=40.0, help="traffic time; longer outages stretch it")
    args = parser.parse_args()
    names = [n for n in args.faults.split(",") if n]
    unknown = [n for n in names if n not in FAULTS]
    if unknown:
        parser.error(f"unknown fault(s): {', '.join(unknown)}")
    print(machine())
    print(f"command: .venv/bin/python -m bench.chaos {' '.join(sys.argv[1:])}".rstrip())
    outcomes = []
    for name in names:
        # The traffic outlasts the outage by at least the time it ran before it.
        seconds = max(args.seconds, _outage_seconds(name) * 1.5 + 10)
        outcome = asyncio.run(run_fault(name, pairs=args.pairs, rate=args.rate, seconds=seconds))
        verdict = "passed" if outcome.passed else "FAILED: " + "; ".join(outcome.problems)
        print(
            f"  {name}: {verdict}; failed attempts {outcome.failures or 'none'}, the last "
            f"{outcome.last_failure_after:.1f} s after the fault struck",
            flush=True,
        )
        outcomes.append(outcome)
    print()
    print(table(outcomes))
    sys.exit(0 if all(o.passed for o in outcomes) else 1)


def _outage_seconds(name: str) -> float:
    digits = "".join(ch for ch in name.rsplit("-", 1)[-1] if ch.isdigit())
    return float(digits) if name.endswith("s") and digits else 0.0


if __name__ == "__main__":
    main()

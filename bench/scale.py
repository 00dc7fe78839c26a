"""Scale benchmark (issue 11): what each request a client makes costs on a grown instance.

For each size (10,000 and 100,000 events by default; `--million` adds 1,000,000) an instance is built: a log written
through the event store from `bench.replay`'s `plan()` (total // 100 users, twice as many conversations), then every
read model rebuilt by the replay of `parley replay --model all`. FerretDB is restarted on that data (its size on
disk is taken meanwhile). Once every size is built, all of them are started at once, the four services on each. Two
clients registered over HTTP get a long conversation with each other and a short one with a few planned users on
each instance; then, one request at a time after a warm-up, the sizes in turns (one sample of each per round, the
order rotating, so that every size meets the same machine), the benchmark times the sidebar (and a search by name
where the server pages it), the newest and the oldest page of the long conversation, a catch-up after the last 100
events, `GET /api/me`, how long the services take to be ready, and, after each of a few restarts of the command API
(`--restarts`, 5), the first send and the next ones in conversations of planned users that it has not touched since
it started. Last, the ratio of each figure between the largest and the smallest instance.

Requests are timed through a lean keep-alive client (bench/lean_http.py: httpx's own cost was 2 to 3 ms of a send).

Usage: `.venv/bin/python -m bench.scale [--events 10000,100000] [--million] [--json FILE]`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import bcrypt
import httpx
from pymongo import AsyncMongoClient

from bench.common import bench_env, cpu_speed, machine, percentile
from bench.lean_http import LeanHttp, LeanResponse
from bench.replay import plan, planned_email, write_log
from projector.rebuild import replay
from projector.registry import PROJECTIONS
from shared.event_store import EventStore
from shared.events import MessageSent, NewEvent, UserRegistered
from shared.settings import Settings
from tests.support import FerretDB, Infra, NatsServer, Stack, bearer

# Not a secret: every account lives in a throwaway store that is deleted after the run.
PASSWORD = "scale bench pw"
T = TypeVar("T")
SLOW = 1.0  # seconds: a request slower than this is sampled only a few times, so that the run ends


@dataclass
class Figure:
    """Timings of one request (seconds), and what its last answer held."""

    samples: list[float] = field(default_factory=list)
    answer_bytes: int = 0
    answer_items: int = 0

    @property
    def p50(self) -> float:
        return percentile(self.samples, 50)

    @property
    def p99(self) -> float:
        return percentile(self.samples, 99)


@dataclass
class Result:
    events: int
    users: int
    conversations: int
    build_seconds: dict[str, float]
    disk_bytes: dict[str, int]
    figures: dict[str, Figure]
    # bench.common.cpu_speed() just before this instance was measured: the machine's speed drifts.
    cpu_speed: float


@dataclass
class Planned:
    """What the plan made, as the benchmark needs it: the users, and each conversation with messages."""

    users: list[str]
    conversations: list[tuple[str, str]]


@dataclass
class Client:
    id: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.token)


@dataclass
class Sampling:
    """How many times to time each request, and for how long at most."""

    samples: int
    few: int
    warmup: int
    budget: float
    block: int = 10


# -- the instance ---------------------------------------------------------------------------------------------


def planned(events: list[tuple[NewEvent, int]]) -> Planned:
    users = [e.data.user_id for e, _ in events if isinstance(e.data, UserRegistered)]
    pairs = {
        (min(e.data.sender_id, e.data.receiver_id), max(e.data.sender_id, e.data.receiver_id)): None
        for e, _ in events
        if isinstance(e.data, MessageSent)
    }
    return Planned(users, list(pairs))


async def build_instance(url: str, name: str, events: list[tuple[NewEvent, int]]) -> dict[str, float]:
    """Everything an instance holds, as the running system would have left it: the log, then every read model.

    The one place that makes an instance: whatever else a replay or an operator rebuilds from the log belongs here.
    """
    settings = Settings(mongodb_db=name)
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(url, tz_aware=True)
    try:
        store = EventStore(client[settings.mongodb_db])
        await store.ensure_indexes()
        wrote = await write_log(store, events)
        # Every event counts as published: the views are replayed from the log below, so no consumer needs them on
        # the bus, and the command API's relay must not publish a million events when it starts.
        await store.mark_published(len(events))
        started = time.perf_counter()
        # The replay of `parley replay --model all`, with no projector running (none to hold).
        await replay(store, client[settings.views_db], None, list(PROJECTIONS), drop_after=0)
        return {"log": wrote, "views": time.perf_counter() - started}
    finally:
        await client.close()


def disk_bytes(directory: Path) -> dict[str, int]:
    """FerretDB's files per database (its SQLite file with its write-ahead log), and its state files together."""
    sizes: dict[str, int] = {}
    for path in directory.iterdir():
        if path.is_file():
            database = path.name.split(".sqlite")[0] if ".sqlite" in path.name else "other"
            sizes[database] = sizes.get(database, 0) + path.stat().st_size
    return sizes


# -- clients ----------------------------------------------------------------------------------------------------


def register(http: httpx.Client, stack: Stack, label: str) -> Client:
    body = {
        "name": f"Scale {label}",
        "email": f"scale-{label}-{uuid.uuid4().hex[:8]}@example.com",
        "password": PASSWORD,
    }
    response = http.post(f"{stack.url('command')}/api/auth/register", json=body)
    response.raise_for_status()
    return Client(response.json()["user"]["id"], response.json()["access_token"])


def log_in(http: httpx.Client, stack: Stack, user_id: str) -> Client:
    body = {"email": planned_email(user_id), "password": PASSWORD}
    response = http.post(f"{stack.url('command')}/api/auth/login", json=body)
    response.raise_for_status()
    return Client(user_id, response.json()["access_token"])


def send(http: LeanHttp, stack: Stack, sender: Client, to: str, text: str) -> LeanResponse:
    body = {"to": to, "type": "text", "text": text, "client_msg_id": uuid.uuid4().hex}
    return http.post(f"{stack.url('command')}/api/messages", json=body, headers=sender.headers)


def get(http: LeanHttp, stack: Stack, client: Client, path: str, **params: Any) -> LeanResponse:
    return http.get(f"{stack.url('query')}{path}", params=params, headers=client.headers)


def wait_for(probe: Callable[[], bool], what: str, timeout: float = 300.0) -> None:
    """Poll until the views show what was sent (each probe is itself a request, slow on a big store)."""
    deadline = time.monotonic() + timeout
    while not probe():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(0.2)


def sidebar_users(body: Any) -> list[dict[str, Any]]:
    """The people of a sidebar answer: a plain list today, `{"users": [...], "next_cursor": ...}` once paged."""
    return list(body["users"] if isinstance(body, dict) else body)


def populate(http: LeanHttp, stack: Stack, a: Client, b: Client, peers: list[str], long: int) -> None:
    """A long conversation between the two clients and one message from the first to each planned peer."""
    for i in range(long):
        sender, receiver = (a, b) if i % 2 == 0 else (b, a)
        send(http, stack, sender, receiver.id, f"message {i + 1} of {long}").raise_for_status()
    for peer in peers:
        send(http, stack, a, peer, "hello from the benchmark").raise_for_status()

    def projected() -> bool:
        page = get(http, stack, a, f"/api/conversations/{b.id}/messages").json()
        if not page["messages"] or page["messages"][-1]["seq"] != long:
            return False
        talked = {u["id"] for u in sidebar_users(get(http, stack, a, "/api/users").json()) if u.get("conversation")}
        return talked >= {b.id, *peers}

    wait_for(projected, "the projector to show the clients' messages")


def oldest_page_cursor(http: LeanHttp, stack: Stack, a: Client, b: Client) -> Any:
    """Follow the history's cursor to the conversation's first page (whatever the cursor looks like)."""
    cursor: Any = None
    while True:
        page = get(http, stack, a, f"/api/conversations/{b.id}/messages", **({"before": cursor} if cursor else {}))
        following = page.json().get("next_before")
        if following is None:
            return cursor
        cursor = following


def caught_up_position(http: LeanHttp, stack: Stack, a: Client, head: int) -> int:
    """The position `GET /api/me` hands out once it has reached the last event the setup appended."""
    position = 0

    def reached() -> bool:
        nonlocal position
        position = int(get(http, stack, a, "/api/me").json()["sync_position"])
        return position >= head

    wait_for(reached, "the head hint to reach the setup's last event", timeout=60)
    return position


def disjoint(pairs: list[tuple[str, str]], exclude: set[str]) -> list[tuple[str, str]]:
    """Conversations with no participant in common, so that each send is the first thing asked of both people."""
    used = set(exclude)
    chosen = []
    for x, y in pairs:
        if x not in used and y not in used:
            chosen.append((x, y))
            used.update((x, y))
    return chosen


# -- timing ------------------------------------------------------------------------------------------------------

Call = Callable[[], LeanResponse]


def timed(call: Call) -> tuple[float, LeanResponse]:
    started = time.perf_counter()
    response = call()
    elapsed = time.perf_counter() - started
    if response.status_code >= 300:
        raise RuntimeError(f"{response.method} {response.url}: {response.status_code} {response.text}")
    return elapsed, response


def items(body: Any) -> int:
    """How many things an answer holds: a list's length, or the length of the lists in an object."""
    if isinstance(body, list):
        return len(body)
    if isinstance(body, dict):
        return sum(len(v) for v in body.values() if isinstance(v, list))
    return 0


def sample(
    calls: dict[int, Iterator[Call]], how: Sampling, *, warmup: int | None = None, focus: Focus | None = None
) -> dict[int, Figure]:
    """Time the calls of every instance in turns, ``how.block`` of one size after another, the order rotating: each
    size meets the same machine, whose speed drifts by half within minutes here, and the ratio between sizes is the
    point. A block starts with one untimed call (unless ``warmup`` is 0), so that a process that sat idle while the
    others were timed is timed warm, as when one size is timed alone. After a warm-up, ``how.samples`` of each (only
    ``how.few`` of a size whose first ones take over a second), within the time budget. With ``focus``, only the
    size being timed runs (see ``Focus``)."""
    warmups = how.warmup if warmup is None else warmup
    for size, sized in calls.items():
        if focus is not None:
            focus.on(size)
        for _ in range(warmups):
            if timed(next(sized))[0] > SLOW:
                break  # one slow warm-up is warm enough
    figures = {size: Figure() for size in calls}
    active = list(calls)
    started = time.monotonic()
    turn = 0
    while active:
        done = min(len(figures[size].samples) for size in active)
        if done >= how.samples or (done and time.monotonic() - started > how.budget):
            break
        turn += 1
        for size in rotated(active, turn):
            figure = figures[size]
            if focus is not None:
                focus.on(size)
            if warmups and len(active) > 1:
                rewarm = next(calls[size], None)
                if rewarm is not None:
                    timed(rewarm)
            for _ in range(min(how.block, how.samples - len(figure.samples))):
                # Decided on the first few samples alone, so that a request near the threshold is not cut off at
                # random.
                if len(figure.samples) >= how.few and statistics.median(figure.samples[: how.few]) > SLOW:
                    active.remove(size)
                    break
                call = next(calls[size], None)
                if call is None:
                    active.remove(size)
                    break
                elapsed, response = timed(call)
                figure.samples.append(elapsed)
                figure.answer_bytes = len(response.content)
                figure.answer_items = items(response.json()) if response.content else 0
    return figures


def rotated(items: list[T], turn: int) -> list[T]:
    """The items (sizes, instances), starting at another one each turn: none is always timed first."""
    shift = turn % len(items) if items else 0
    return items[shift:] + items[:shift]


def sending(http: LeanHttp, stack: Stack, sender: Client, to: str, text: str) -> Call:
    return lambda: send(http, stack, sender, to, text)


def repeat(call: Call) -> Iterator[Call]:
    while True:
        yield call


def start_timed(stack: Stack, timeout: float) -> float:
    started = time.perf_counter()
    stack.start(ready_timeout=timeout)
    return time.perf_counter() - started


# -- instances -------------------------------------------------------------------------------------------------


@dataclass
class Instance:
    """One built instance, its processes, and the two clients the benchmark registered on it."""

    total: int
    workdir: Path
    made: Planned
    build: dict[str, float]
    disk: dict[str, int]
    ferret: FerretDB
    nats: NatsServer
    stack: Stack | None = None
    a: Client | None = None
    b: Client | None = None
    head: int = 0
    figures: dict[str, Figure] = field(default_factory=dict)

    @property
    def live(self) -> tuple[Stack, Client, Client]:
        assert self.stack is not None and self.a is not None and self.b is not None, "not started"
        return self.stack, self.a, self.b


def build_size(total: int) -> Instance:
    """Plan the log, write it, replay every view; FerretDB is stopped again, its size on disk taken."""
    workdir = Path(tempfile.mkdtemp(prefix=f"parley-bench-scale-{total}-"))
    print(f"\n{total:,} events: planning...", flush=True)
    started = time.perf_counter()
    password_hash = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()
    events = plan(total, password_hash=password_hash)
    made = planned(events)
    build = {"plan": time.perf_counter() - started}
    ferret = FerretDB(workdir)
    ferret.start()
    try:
        print(f"  writing the log and replaying every read model ({', '.join(PROJECTIONS)})...", flush=True)
        build |= asyncio.run(build_instance(ferret.url, f"scale{total}", events))
    finally:
        ferret.stop()  # SQLite folds its write-ahead log in on close: the size on disk is the data's own
    print("  built: " + ", ".join(f"{k} {v:.1f} s" for k, v in build.items()), flush=True)
    # A fresh FerretDB process on the built data, as after a restart of the instance.
    return Instance(
        total, workdir, made, build, disk_bytes(workdir / "ferretdb"), FerretDB(workdir), NatsServer(workdir)
    )


def start_size(instance: Instance, args: argparse.Namespace, http: httpx.Client, lean: LeanHttp) -> None:
    """Start FerretDB, NATS and the four services on the instance (timed), and set up its two clients."""
    instance.ferret.start()
    instance.nats.start()
    infra = Infra(ferretdb=instance.ferret, nats=instance.nats, workdir=instance.workdir)
    stack = instance.stack = Stack(infra, instance.nats, name=f"scale{instance.total}", extra_env=bench_env())
    instance.figures["ready"] = Figure([start_timed(stack, args.ready_timeout)])
    print(f"  {instance.total:,} events: services ready in {instance.figures['ready'].samples[0]:.1f} s", flush=True)
    a, b = instance.a, instance.b = register(http, stack, "a"), register(http, stack, "b")
    peers = instance.made.users[: args.peers]
    populate(lean, stack, a, b, peers, args.long)
    instance.head = caught_up_position(lean, stack, a, instance.total + 2 + args.long + len(peers))


def close_size(instance: Instance, keep: bool) -> None:
    if instance.stack is not None:
        instance.stack.stop()
    instance.nats.stop()
    instance.ferret.stop()
    if keep:
        print(f"  kept {instance.workdir}")
    else:
        shutil.rmtree(instance.workdir, ignore_errors=True)


# How long a woken instance is left to catch up before it is timed.
WAKE_SECONDS = 0.5


class Focus:
    """While one instance is timed, the others are paused (SIGSTOP to their services, FerretDB and NATS), and woken
    (SIGCONT) when their turn comes: their timers and polls would otherwise share the two cores with the one timed
    (three idle instances made every request a third slower), yet the sizes are still timed seconds apart."""

    def __init__(self, instances: list[Instance]) -> None:
        self.instances = instances
        self.current: int | None = None

    def on(self, size: int) -> None:
        if size == self.current:
            return
        for instance in self.instances:
            if instance.total != size:
                _signal(instance, signal.SIGSTOP)
        for instance in self.instances:
            if instance.total == size:
                _signal(instance, signal.SIGCONT)
        if self.current is not None:
            # A woken process first runs every timer that fell due while it was stopped (NATS pings, polls,
            # sweeps): let it, so that the first request timed does not wait behind them (the sends after a
            # restart are timed without an untimed request first).
            time.sleep(WAKE_SECONDS)
        self.current = size

    def release(self) -> None:
        for instance in self.instances:
            _signal(instance, signal.SIGCONT)
        self.current = None


def _signal(instance: Instance, signum: int) -> None:
    processes = [instance.ferret.process, instance.nats.process, *(instance.stack.processes if instance.stack else [])]
    for process in processes:
        if process.proc is not None and process.proc.poll() is None:
            os.kill(process.proc.pid, signum)


# -- what is timed -----------------------------------------------------------------------------------------------


def reads(http: LeanHttp, instance: Instance) -> dict[str, Iterator[Call]]:
    """Each read a client makes, as calls on this instance."""
    stack, a, b = instance.live
    calls = {"sidebar": repeat(lambda: get(http, stack, a, "/api/users"))}
    first = get(http, stack, a, "/api/users").json()
    if isinstance(first, dict):  # paged: search by a name prefix that only one planned user has
        name = next(u["name"] for u in sidebar_users(first) if not u["name"].startswith("Scale"))
        calls["search"] = repeat(lambda: get(http, stack, a, "/api/users", q=name[:-1]))
    history = f"/api/conversations/{b.id}/messages"
    calls["history_newest"] = repeat(lambda: get(http, stack, a, history))
    deep = oldest_page_cursor(http, stack, a, b)
    calls["history_deep"] = repeat(lambda: get(http, stack, a, history, before=deep))
    after = max(0, instance.head - 100)
    calls["sync"] = repeat(lambda: get(http, stack, a, "/api/sync", after=after))
    calls["me"] = repeat(lambda: get(http, stack, a, "/api/me"))
    return calls


def measure_reads(http: LeanHttp, instances: list[Instance], how: Sampling, focus: Focus) -> None:
    by_size = {}
    for instance in instances:
        focus.on(instance.total)
        by_size[instance.total] = reads(http, instance)
    for key in by_size[instances[0].total]:
        figures = sample({size: calls[key] for size, calls in by_size.items() if key in calls}, how, focus=focus)
        for instance in instances:
            if instance.total in figures:
                instance.figures[key] = figures[instance.total]


def measure_ready(instances: list[Instance], runs: int, timeout: float, focus: Focus) -> None:
    """Stop and start each instance's four services, in turns."""
    for turn in range(runs):
        for instance in rotated(instances, turn):
            focus.on(instance.total)
            stack = instance.live[0]
            stack.stop()
            instance.figures["ready"].samples.append(start_timed(stack, timeout))


def measure_cold_sends(
    http: httpx.Client,
    lean: LeanHttp,
    instances: list[Instance],
    how: Sampling,
    args: argparse.Namespace,
    focus: Focus,
) -> None:
    """Restart each command API ``args.restarts`` times, in turns; after each restart, send once into each of a
    share of that instance's conversations, none of them touched since any start."""
    calls: dict[int, list[Call]] = {}
    for instance in instances:
        focus.on(instance.total)
        stack = instance.live[0]
        pairs = disjoint(instance.made.conversations, set(instance.made.users[: args.peers]))[: how.samples]
        senders = [log_in(http, stack, x) for x, _ in pairs]
        calls[instance.total] = [
            sending(lean, stack, sender, to, "back after the restart")
            for sender, (_, to) in zip(senders, pairs, strict=True)
        ]
        instance.figures |= {"command_restart": Figure(), "first_send": Figure(), "cold_send": Figure()}
    for turn in range(args.restarts):
        shares: dict[int, Iterator[Call]] = {}
        for instance in rotated(instances, turn):
            mine = calls[instance.total]
            share = max(1, len(mine) // args.restarts)
            left = iter(mine[turn * share : (turn + 1) * share])
            call = next(left, None)
            if call is None:
                continue
            focus.on(instance.total)
            command = instance.live[0].process("command")
            command.stop()
            started = time.perf_counter()
            command.start()
            instance.live[0].wait_ready("command", timeout=args.ready_timeout)
            instance.figures["command_restart"].samples.append(time.perf_counter() - started)
            # The first send after a restart is reported apart: it pays for whatever the process puts off until then.
            instance.figures["first_send"].samples.append(timed(call)[0])
            shares[instance.total] = left
        for size, figure in sample(shares, how, warmup=0, focus=focus).items():
            next(i for i in instances if i.total == size).figures["cold_send"].samples += figure.samples


def run(sizes: list[int], args: argparse.Namespace, how: Sampling) -> tuple[list[Result], float]:
    """Build every instance, start them all, then time each request on all of them in turns."""
    instances: list[Instance] = []
    try:
        for total in sizes:
            instances.append(build_size(total))
        focus = Focus(instances)
        with httpx.Client(timeout=args.request_timeout) as http, LeanHttp(timeout=args.request_timeout) as lean:
            try:
                print("\nstarting every instance (the others paused) and setting up its clients...", flush=True)
                for instance in instances:
                    focus.on(instance.total)
                    start_size(instance, args, http, lean)
                speed = cpu_speed()
                print(f"timing the reads, the sizes in turns (CPU speed index {speed:.1f})...", flush=True)
                measure_reads(lean, instances, how, focus)
                print("timing the services' starts...", flush=True)
                measure_ready(instances, args.ready_runs - 1, args.ready_timeout, focus)
                print("timing the first sends after restarts of the command API...", flush=True)
                measure_cold_sends(http, lean, instances, how, args, focus)
            finally:
                focus.release()
        results = [
            Result(i.total, len(i.made.users), len(i.made.conversations), i.build, i.disk, i.figures, speed)
            for i in instances
        ]
        return results, speed
    finally:
        for instance in instances:
            close_size(instance, args.keep)


# -- report -------------------------------------------------------------------------------------------------------

ROWS = [
    ("sidebar", "`GET /api/users` (sidebar, first page)"),
    ("search", "`GET /api/users?q=` (search by name)"),
    ("history_newest", "`GET /api/conversations/{peer}/messages` (newest page)"),
    ("history_deep", "the same, oldest page of a long conversation (`before=`)"),
    ("sync", "`GET /api/sync?after=<head - 100>`"),
    ("first_send", "the first `POST /api/messages` after each restart of the command API"),
    ("cold_send", "the next sends, each into another conversation untouched since the restart"),
    ("me", "`GET /api/me`"),
    ("ready", "the four services ready after start"),
    ("command_restart", "the command API ready after a restart"),
]


def duration(seconds: float) -> str:
    if seconds != seconds:  # nan: no samples
        return "-"
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def cell(figure: Figure | None) -> str:
    if figure is None or not figure.samples:
        return "-"
    if len(figure.samples) == 1:
        return duration(figure.samples[0])
    return f"{duration(figure.p50)} / {duration(figure.p99)} (n={len(figure.samples)})"


def ratio(small: Figure | None, large: Figure | None) -> str:
    if not small or not large or not small.samples or not large.samples:
        return "-"
    if len(small.samples) == 1 or len(large.samples) == 1:
        return f"{large.p50 / small.p50:.1f}x"
    return f"{large.p50 / small.p50:.1f}x / {large.p99 / small.p99:.1f}x"


def mib(size: int) -> str:
    return f"{size / 2**20:,.1f} MiB"


def table(results: list[Result]) -> str:
    small, large = results[0], results[-1]
    sizes = [f"{r.events:,} events ({r.users:,} users)" for r in results]
    lines = [
        "| request: p50 / p99 (samples) | " + " | ".join(sizes) + f" | ratio {large.events:,} / {small.events:,} |",
        "| --- | " + " | ".join("---" for _ in results) + " | --- |",
    ]
    for key, label in ROWS:
        if any(key in r.figures for r in results):
            cells = [cell(r.figures.get(key)) for r in results]
            lines.append(
                f"| {label} | " + " | ".join(cells) + f" | {ratio(small.figures.get(key), large.figures.get(key))} |"
            )
    disk = [mib(sum(r.disk_bytes.values())) for r in results]
    lines.append(
        "| FerretDB data on disk | "
        + " | ".join(disk)
        + f" | {sum(large.disk_bytes.values()) / sum(small.disk_bytes.values()):.1f}x |"
    )
    for part in ("plan", "log", "views"):
        what = {"plan": "planning the log", "log": "writing the log", "views": "replaying every read model"}[part]
        lines.append(f"| build: {what} | " + " | ".join(duration(r.build_seconds[part]) for r in results) + " | |")
    lines.append("| CPU speed index when measured | " + " | ".join(f"{r.cpu_speed:.1f}" for r in results) + " | |")
    return "\n".join(lines)


def details(results: list[Result]) -> str:
    lines = []
    for r in results:
        answers = ", ".join(
            f"{key} {f.answer_items} items / {f.answer_bytes / 1024:.1f} KiB"
            for key, f in r.figures.items()
            if f.answer_bytes
        )
        disk = ", ".join(f"{db} {mib(size)}" for db, size in sorted(r.disk_bytes.items()))
        lines.append(f"{r.events:,} events: {r.conversations:,} conversations with messages; disk: {disk}")
        lines.append(f"  answers (last sample): {answers}")
    return "\n".join(lines)


# -- main ---------------------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", default="10000,100000", help="instance sizes, comma-separated")
    parser.add_argument("--million", action="store_true", help="add an instance of 1,000,000 events")
    parser.add_argument("--samples", type=int, default=100, help="timed requests of each kind")
    parser.add_argument("--few", type=int, default=5, help="timed requests of a kind slower than a second")
    parser.add_argument("--warmup", type=int, default=2, help="untimed requests of each kind first")
    parser.add_argument("--block", type=int, default=10, help="samples of one size in a row, the sizes in turns")
    parser.add_argument("--budget", type=float, default=120.0, help="seconds of timed requests per kind at most")
    parser.add_argument("--long", type=int, default=300, help="messages in the clients' long conversation")
    parser.add_argument("--peers", type=int, default=3, help="planned users the first client writes to")
    parser.add_argument("--ready-runs", type=int, default=3, help="starts of the four services timed")
    parser.add_argument("--restarts", type=int, default=5, help="restarts of the command API, each with a first send")
    parser.add_argument("--ready-timeout", type=float, default=600.0)
    parser.add_argument("--request-timeout", type=float, default=600.0)
    parser.add_argument("--keep", action="store_true", help="keep each instance's files (printed)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    sizes = sorted({int(s) for s in args.events.split(",") if s} | ({1_000_000} if args.million else set()))
    how = Sampling(samples=args.samples, few=args.few, warmup=args.warmup, budget=args.budget, block=args.block)
    machine_line = machine()
    print(f"machine: {machine_line}")
    results, speed_before = run(sizes, args, how)
    speed_after = cpu_speed()
    print(f"\nmachine: {machine_line}; CPU speed index {speed_before:.1f} before timing, {speed_after:.1f} after")
    print(f"command: {' '.join(['.venv/bin/python -m bench.scale', *sys.argv[1:]])}\n")
    print(table(results))
    print()
    print(details(results))
    if args.json:
        report = {"machine": machine_line, "cpu_speed_after": speed_after, "results": [asdict(r) for r in results]}
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()

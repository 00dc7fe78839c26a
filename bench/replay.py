"""Replay benchmark: rebuild every read model from a log of N events, and where the time goes.

Writes a realistic log straight through the event store (users registering, presence, messages in many
conversations, read receipts, uploads), then runs the same replay as `parley replay --model all` (no projector
running, so nothing to hold) and, separately, each stage alone: reading the log, applying the events in memory,
writing the views.
Usage: `.venv/bin/python -m bench.replay --events 100000`.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from pathlib import Path
from typing import Any

from pymongo import AsyncMongoClient

from bench.common import cpu_seconds, machine
from command_api.domain.accounts import email_key
from projector.rebuild import Rebuild, replay
from projector.registry import PROJECTIONS
from projector.sources import BusSource
from shared.bus import Bus
from shared.event_store import EventStore
from shared.events import (
    MediaUploaded,
    MessageSent,
    MessagesRead,
    NewEvent,
    PresenceChanged,
    UserRegistered,
    new_id,
    now,
)
from shared.settings import Settings
from shared.streams import conversation_id, media_stream, presence_stream, reads_stream, user_stream
from tests.support import FerretDB, NatsServer

# Not a hash of anything: nobody logs in to a planned account unless the caller passes a real hash.
UNUSABLE_HASH = "$2b$12$" + "x" * 53


def planned_email(user_id: str) -> str:
    return f"{user_id}@x.io"


def plan(total: int, seed: int = 1, *, password_hash: str = UNUSABLE_HASH) -> list[tuple[NewEvent, int]]:
    """(event, expected version) pairs making a log of ``total`` events in a plausible mix.

    Registrations carry the email key the command API gives them, so a planned user can log in (with the password
    of ``password_hash``) once ``write_log`` has stored them.
    """
    rng = random.Random(seed)
    users = [new_id() for _ in range(max(10, total // 100))]
    events: list[tuple[NewEvent, int]] = []
    versions: dict[str, int] = {}

    def add(stream: str, data: Any, actor: str, key: str | None = None) -> None:
        version = versions.get(stream, 0)
        events.append((NewEvent(stream=stream, data=data, actor_id=actor, idempotency_key=key), version))
        versions[stream] = version + 1

    for user in users:
        email = planned_email(user)
        add(
            user_stream(user),
            UserRegistered(user_id=user, name=f"User {user[:6]}", email=email, password_hash=password_hash),
            user,
            email_key(email),
        )
    pairs = [tuple(sorted(rng.sample(users, 2))) for _ in range(len(users) * 2)]
    while len(events) < total:
        roll = rng.random()
        if roll < 0.03:
            user = rng.choice(users)
            stream = presence_stream(user)
            online = versions.get(stream, 0) % 2 == 0
            add(
                stream,
                PresenceChanged(
                    user_id=user, online=online, last_seen=now(), reason="connected" if online else "disconnected"
                ),
                user,
            )
        elif roll < 0.09:
            a, b = rng.choice(pairs)
            conversation = conversation_id(a, b)
            seq = versions.get(conversation, 0)
            if seq:
                reader, peer = (a, b) if rng.random() < 0.5 else (b, a)
                receipt = MessagesRead(
                    conversation_id=conversation, reader_id=reader, peer_id=peer, up_to_seq=seq, read_at=now()
                )
                add(reads_stream(conversation, reader), receipt, reader)
        elif roll < 0.095:
            user = rng.choice(users)
            media = new_id()
            add(
                media_stream(media),
                MediaUploaded(
                    media_id=media,
                    uploader_id=user,
                    sha256="0" * 64,
                    name="photo.jpg",
                    size=123_456,
                    mime="image/jpeg",
                    kind="image",
                    width=1200,
                    height=900,
                    thumbnail_sha256="1" * 64,
                ),
                user,
            )
        else:
            a, b = rng.choice(pairs)
            sender, receiver = (a, b) if rng.random() < 0.5 else (b, a)
            conversation = conversation_id(a, b)
            seq = versions.get(conversation, 0) + 1
            text = rng.choice(
                [
                    "ok 👍",
                    "See you at 7?",
                    "Sounds good, thanks!",
                    "Here is the report for Q3, have a look when you can.",
                ]
            )
            data = MessageSent(
                message_id=new_id(),
                conversation_id=conversation,
                seq=seq,
                sender_id=sender,
                receiver_id=receiver,
                type="text",
                text=text,
                client_msg_id=new_id(),
                sent_at=now(),
            )
            add(conversation, data, sender)
    return events[:total]


async def write_log(store: EventStore, events: list[tuple[NewEvent, int]]) -> float:
    started = time.perf_counter()
    chunk = 2000  # appended concurrently: the store writes each group with one insert
    for start in range(0, len(events), chunk):
        # Through the store, as the command API appends: the log's index (stream heads, email keys) comes with it.
        await asyncio.gather(*(store.append(e, expected_version=v) for e, v in events[start : start + chunk]))
    return time.perf_counter() - started


async def publish_log(store: EventStore, bus: Bus) -> float:
    """What the outbox does in the running system: every event onto the JetStream stream."""
    started = time.perf_counter()
    batch = []
    async for event in store.scan():
        batch.append(event)
        if len(batch) == 1000:
            await asyncio.gather(*(bus.publish(e) for e in batch))
            batch = []
    await asyncio.gather(*(bus.publish(e) for e in batch))
    return time.perf_counter() - started


def report_replay(label: str, timings: Any, elapsed: float, python_cpu: float, ferret_cpu: float) -> None:
    rate = timings.events / elapsed
    print(f"\n{label}: {timings.events:,} events in {elapsed:.2f} s = {rate:,.0f} events/s")
    print(
        f"  waiting for events {timings.read:.2f} s (overlaps applying), applying {timings.apply:.2f} s, "
        f"writing views {timings.write:.2f} s"
    )
    print(f"  CPU: this process {python_cpu:.1f} s, FerretDB {ferret_cpu:.1f} s")


async def run(total: int) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="parley-bench-replay-"))
    ferret, nats_server = FerretDB(workdir), NatsServer(workdir)
    ferret.start()
    nats_server.start()
    assert ferret.process.proc is not None
    ferret_pid = ferret.process.proc.pid
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(ferret.url, tz_aware=True)
    try:
        store = EventStore(client["bench"])
        await store.ensure_indexes()
        views = client["bench_views"]
        print(f"writing a log of {total:,} events...")
        wrote = await write_log(store, plan(total))
        print(f"  written in {wrote:.1f} s ({total / wrote:,.0f} events/s)")
        names = list(PROJECTIONS)  # every registered read model, as `--model all`

        settings = Settings(nats_url=nats_server.url, nats_stream="BENCH", subject_prefix="bench.events")
        bus = Bus(settings, name="bench")
        bus.start()
        await bus.wait_ready()
        published = await publish_log(store, bus)
        print(f"  published to JetStream in {published:.1f} s (what the outbox does as events are appended)")

        # 1. The whole replay, as `parley replay --model all [--source bus]` runs it (no projector to hold).
        for label, source in (
            ("replay --model all (from the log)", None),
            ("replay --model all --source bus", BusSource(store, bus.js, "BENCH", "bench.events.>")),
        ):
            cpu0, ferret0, t0 = time.process_time(), cpu_seconds(ferret_pid), time.perf_counter()
            report = await replay(store, views, None, names, drop_after=0, source=source)
            elapsed = time.perf_counter() - t0
            python_cpu, ferret_cpu = time.process_time() - cpu0, cpu_seconds(ferret_pid) - ferret0
            report_replay(label, report.timings, elapsed, python_cpu, ferret_cpu)
            sizes = {m: await views[new].count_documents({}) for m, (_, new) in report.switched.items()}
            print(f"  views: {sizes}")
        t0 = time.perf_counter()
        from_bus = [e async for e in BusSource(store, bus.js, "BENCH", "bench.events.>").events(0, None)]
        read = time.perf_counter() - t0
        print(f"\nread the bus alone: {len(from_bus):,} events in {read:.2f} s = {len(from_bus) / read:,.0f} events/s")
        await bus.close()

        # 2. Each stage alone.
        t0, f0 = time.perf_counter(), cpu_seconds(ferret_pid)
        events = [e async for e in store.scan()]
        read = time.perf_counter() - t0
        rate, ferret_read = len(events) / read, cpu_seconds(ferret_pid) - f0
        print(f"\nread the log alone: {len(events):,} events in {read:.2f} s = {rate:,.0f} events/s")
        print(f"  FerretDB CPU {ferret_read:.1f} s")
        rebuild = Rebuild(store, views, names)
        await rebuild.start()
        t0 = time.perf_counter()
        for name, projection in rebuild.projections.items():
            if name == "messages":
                continue  # writes as it goes: measured with the writes below
            for start in range(0, len(events), 2000):
                await projection.apply_batch(events[start : start + 2000])
        folded = time.perf_counter() - t0
        print(f"apply in memory (users, conversations, media): {folded:.2f} s = {len(events) / folded:,.0f} events/s")
        t0 = time.perf_counter()
        await rebuild.flush()
        messages = rebuild.projections["messages"]
        for start in range(0, len(events), 2000):
            await messages.apply_batch(events[start : start + 2000])
        wrote_views = time.perf_counter() - t0
        print(f"write every view (inserts): {wrote_views:.2f} s")
        await rebuild.discard()
        print(f"\nmachine: {machine()}")
    finally:
        await client.close()
        nats_server.stop()
        ferret.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=100_000)
    args = parser.parse_args()
    asyncio.run(run(args.events))


if __name__ == "__main__":
    main()

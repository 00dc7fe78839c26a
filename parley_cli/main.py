"""``parley``: rebuild, check and read the event log from a shell.

    parley replay [--model users|conversations|messages|media|all]
    parley verify [--model ...] [--settle SECONDS]
    parley audit [--user ID|EMAIL] [--type TYPE] [--since T] [--until T] [--format table|ndjson]
    parley stats
    parley admin grant|revoke EMAIL

Connects with the same ``PARLEY_*`` settings as the services (MongoDB, NATS). Exit status: 0 done (verify: every
consumer at the log's head and the views equal), 1 failed (verify: a consumer stuck behind, or views differ), 2 bad
usage.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from nats.aio.client import Client as NATS
from pymongo.asynchronous.database import AsyncDatabase
from tqdm import tqdm

from parley_cli import output
from parley_cli.admin import UnknownAccount, change_admin, operator, publish
from projector.control import ControlClient
from projector.rebuild import LeaseExpired, replay, verify
from projector.registry import PROJECTIONS
from projector.sources import BusSource, EventSource, LogSource
from shared.audit import AuditFilter, audit_record, every, find_user_id
from shared.event_store import EventStore
from shared.events import EVENT_TYPES
from shared.logging import configure_logging
from shared.mongo import create_client
from shared.settings import Settings


class CliSettings(Settings):
    service_name: str = "parley-cli"
    log_format: str = "console"  # type: ignore[assignment]
    log_level: str = "WARNING"


@dataclass
class Context:
    settings: Settings
    store: EventStore
    views: AsyncDatabase[dict[str, Any]]
    control: ControlClient | None


@asynccontextmanager
async def connected(settings: Settings, *, nats: bool) -> AsyncIterator[Context]:
    client = create_client(settings)
    nc = NATS()
    try:
        control = None
        if nats:
            try:
                await nc.connect(
                    servers=[settings.nats_url], name="parley-cli", connect_timeout=2, max_reconnect_attempts=2
                )
                control = ControlClient(nc, settings.live_subject_prefix)
            except Exception as exc:
                print(f"NATS not reachable ({exc!r}): no projector to hold, going on without", file=sys.stderr)
        yield Context(settings, EventStore(client[settings.mongodb_db]), client[settings.views_db], control)
    finally:
        if nc.is_connected:
            await nc.close()
        await client.close()


def _names(model: str) -> list[str]:
    return list(PROJECTIONS) if model == "all" else [model]


def _progress(ctx_total: int, what: str) -> tuple[tqdm[Any], Callable[[int, int], None]]:
    bar: tqdm[Any] = tqdm(total=ctx_total, unit="ev", desc=what, file=sys.stderr, dynamic_ncols=True)

    def advance(count: int, position: int) -> None:
        bar.total = max(bar.total or 0, position)
        bar.update(count)

    return bar, advance


def _source(args: argparse.Namespace, ctx: Context) -> EventSource | None:
    """The log itself (default), or JetStream's copy of it checked against the log (``--source bus``)."""
    if args.source == "log":
        return LogSource(ctx.store)
    if ctx.control is None:
        return None
    settings = ctx.settings
    js = ctx.control.nc.jetstream(timeout=10)
    return BusSource(ctx.store, js, settings.nats_stream, f"{settings.subject_prefix}.>")


async def cmd_replay(args: argparse.Namespace, settings: Settings) -> int:
    async with connected(settings, nats=True) as ctx:
        source = _source(args, ctx)
        if source is None:
            print("--source bus needs NATS, which is not reachable", file=sys.stderr)
            return 1
        bar, advance = _progress(await ctx.store.count(), "replay")
        try:
            report = await replay(
                ctx.store,
                ctx.views,
                ctx.control,
                _names(args.model),
                lease=args.lease,
                on_progress=advance,
                source=source,
            )
        except LeaseExpired as exc:
            bar.close()
            print(f"replay failed: {exc}", file=sys.stderr)
            return 1
        bar.close()
    for model, (old, new) in report.switched.items():
        print(f"{model}: now served by {new} (was {old})")
    held = "the projector was held for the switch" if report.held else "no projector was running"
    print(f"views hold the log up to position {report.position}; {held}")
    print(output.timings_line(report.timings))
    return 0


async def cmd_verify(args: argparse.Namespace, settings: Settings) -> int:
    async with connected(settings, nats=True) as ctx:
        bar, advance = _progress(await ctx.store.count(), "verify")
        report = await verify(
            ctx.store,
            ctx.views,
            ctx.control,
            _names(args.model),
            lease=args.lease,
            settle=args.settle,
            on_progress=advance,
        )
        bar.close()
    output.verify_summary(report, sys.stdout)
    print(output.timings_line(report.timings))
    if not report.caught_up:
        stuck = ", ".join(f"{n} ({b} behind)" for n, b in report.behind.items() if b)
        print(
            f"STUCK: consumers did not reach the log's head ({report.head}) within {args.settle:g} s: {stuck} "
            "(see `parley stats`, the projector's /readyz and its log)"
        )
    if not report.equal:
        print("DIFFERENT: the live views do not match the log (`parley replay` rebuilds them)")
    if report.ok:
        print("OK: every consumer is at the log's head and the live views equal views rebuilt from the log")
        return 0
    return 1


async def cmd_audit(args: argparse.Namespace, settings: Settings) -> int:
    unknown = sorted(set(args.type) - set(EVENT_TYPES))
    if unknown:
        print(f"unknown event type: {', '.join(unknown)} (known: {', '.join(sorted(EVENT_TYPES))})", file=sys.stderr)
        return 2
    async with connected(settings, nats=False) as ctx:
        user = args.user
        if user is not None and "@" in user:
            user = await find_user_id(ctx.store, user)
            if user is None:
                print(f"no account with the email {args.user}", file=sys.stderr)
                return 1
        selection = AuditFilter(user_id=user, types=tuple(args.type), since=args.since, until=args.until)
        records = []
        async for event in every(ctx.store, selection):
            record = audit_record(event)
            if args.format == "ndjson":
                print(output.ndjson_line(record))
            else:
                records.append(record)
            if args.limit and len(records) >= args.limit:
                break
    if args.format == "table":
        headers = ("position", "occurred_at", "type", "id", "actor", "stream", "data")
        rows = [
            (r["position"], r["occurred_at"], r["type"], r["id"], r["actor_id"], r["stream"], r["data"])
            for r in records
        ]
        output.table(rows, headers, sys.stdout, widths=(0, 0, 0, 0, 0, 0, 0 if args.wide else 80))
        print(f"({len(records)} events)")
    return 0


async def cmd_stats(args: argparse.Namespace, settings: Settings) -> int:
    async with connected(settings, nats=True) as ctx:
        counts = await ctx.store.counts_by_type()
        by_type = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        total = sum(count for _, count in by_type)
        head = await ctx.store.last_position()
        marks = {doc["_id"]: doc async for doc in ctx.views["checkpoints"].find()}
        parked = {name: await ctx.views["parked_events"].count_documents({"projection": name}) for name in PROJECTIONS}
        waiting = head - await ctx.store.published_mark()
        pending: dict[str, int | None] = {}
        if ctx.control is not None:
            js = ctx.control.nc.jetstream(timeout=5)
            for name in PROJECTIONS:
                try:
                    info = await js.consumer_info(settings.nats_stream, f"projector-{name}")
                    pending[name] = (info.num_pending or 0) + (info.num_ack_pending or 0)
                except Exception:
                    pending[name] = None
    print(f"events: {total} (log head at position {head}; {waiting} past the published mark, waiting to be published)")
    output.table(by_type, ("type", "count"), sys.stdout)
    print()
    rows = []
    for name in PROJECTIONS:
        mark = marks.get(name, {})
        position = int(mark.get("position", 0))
        rows.append((name, position, head - position, pending.get(name), parked[name], mark.get("updated_at")))
    output.table(
        rows, ("consumer", "checkpoint", "behind the log", "pending on the bus", "parked", "updated"), sys.stdout
    )
    return 0


async def cmd_admin(args: argparse.Namespace, settings: Settings) -> int:
    grant = args.action == "grant"
    async with connected(settings, nats=False) as ctx:
        try:
            change = await change_admin(ctx.store, args.email, grant=grant, by=operator())
        except UnknownAccount:
            print(f"no account with the email {args.email}", file=sys.stderr)
            return 1
        if change.event is None:
            print(f"{args.email} (user {change.user_id}) {'is already' if grant else 'is not'} an admin")
            return 0
        published = await publish(settings, ctx.store, change.event)
    what = "granted admin rights to" if grant else "revoked admin rights of"
    print(f"{what} {args.email} (user {change.user_id}); event {change.event.id} at position {change.event.position}")
    if not published:
        print("NATS not reachable: the command API's outbox relay publishes the event shortly", file=sys.stderr)
    return 0


def _when(text: str) -> datetime:
    """ISO 8601; a time without a zone is taken as UTC."""
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {text!r}") from exc
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="parley", description="Operate Parley's event log and read models.")
    commands = root.add_subparsers(dest="command", required=True)
    models = [*PROJECTIONS, "all"]

    p = commands.add_parser("replay", help="rebuild read models from the log and switch them in, while running")
    p.add_argument("--model", choices=models, default="all")
    p.add_argument("--lease", type=float, default=120.0, help="seconds the projector may be held (default 120)")
    p.add_argument(
        "--source",
        choices=("log", "bus"),
        default="log",
        help="read the event log (default), or JetStream's copy of it, checked against the log and faster on FerretDB",
    )
    p.set_defaults(run=cmd_replay)

    p = commands.add_parser("verify", help="rebuild read models aside and compare them with the live ones")
    p.add_argument("--model", choices=models, default="all")
    p.add_argument("--lease", type=float, default=300.0, help="seconds the projector may be held (default 300)")
    p.add_argument(
        "--settle",
        type=float,
        default=30.0,
        help="seconds each consumer has to reach the log's head before it counts as stuck (default 30)",
    )
    p.set_defaults(run=cmd_verify)

    p = commands.add_parser("audit", help="events in log order, filtered; secrets are never printed")
    p.add_argument("--user", help="a user id or an account's email: events by or about that user")
    p.add_argument("--type", action="append", default=[], help="an event type (repeatable)")
    p.add_argument("--since", type=_when, help="events at or after this time (ISO 8601, UTC if no zone)")
    p.add_argument("--until", type=_when, help="events before this time")
    p.add_argument("--format", choices=("table", "ndjson"), default="table")
    p.add_argument("--limit", type=int, default=0, help="at most this many events (table only; 0: all)")
    p.add_argument("--wide", action="store_true", help="do not shorten the data column")
    p.set_defaults(run=cmd_audit)

    p = commands.add_parser("stats", help="events by type, and how far behind each consumer is")
    p.set_defaults(run=cmd_stats)

    p = commands.add_parser("admin", help="grant or revoke an account's admin rights (recorded as an event)")
    p.add_argument("action", choices=("grant", "revoke"))
    p.add_argument("email", help="the email of an existing account")
    p.set_defaults(run=cmd_admin)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    settings = CliSettings()
    configure_logging(settings.service_name, settings.log_level, settings.log_format)
    try:
        code: int = asyncio.run(args.run(args, settings))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())

"""Runs one projection as a durable JetStream pull consumer: ack after the write, retry, park poison events.

An unreachable database is not the event's fault: the batch in hand is retried, with back-off, until the database
answers (its events kept from redelivery meanwhile), and never counts towards parking. Only an event that fails for
a reason of its own is redelivered and, after ``max_deliver`` deliveries, parked. Nothing but a stop ends the loop:
any other error is logged and the consumer subscribes again. ``problem()`` says when it is stuck (for ``/readyz``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from typing import Any, Protocol, TypeVar

import nats.errors
from nats.aio.msg import Msg
from nats.js.client import JetStreamContext
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import ConnectionFailure

from shared.bus import Bus
from shared.events import Envelope, now

log = logging.getLogger(__name__)

CHECKPOINTS = "checkpoints"
# How often a consumer writes its checkpoint while events flow (see ``ProjectionConsumer.write_checkpoint``).
CHECKPOINT_SECONDS = 1.0
PARKED = "parked_events"
# Back-off between attempts while the database is unreachable.
RETRY_FIRST_SECONDS, RETRY_MAX_SECONDS = 0.5, 5.0
# A consumer whose loop has not come round for this long (not paused by a replay) is stuck.
STUCK_AFTER_SECONDS = 30.0

T = TypeVar("T")


class Projection(Protocol):
    name: str
    # The read models it writes (names in ``shared.views``).
    models: tuple[str, ...]

    async def ensure_indexes(self) -> None: ...

    async def apply_batch(self, events: list[Envelope]) -> None:
        """Apply events in order; must be idempotent and tolerate events of other streams in any order."""

    def begin_rebuild(self) -> None:
        """Its collections are new and empty and read by nobody yet: it may keep everything in memory."""

    async def flush(self) -> None:
        """After a rebuild: write what it kept in memory."""


class ProjectionConsumer:
    def __init__(
        self,
        projection: Projection,
        bus: Bus,
        views: AsyncDatabase[dict[str, Any]],
        *,
        batch: int = 256,
        max_deliver: int = 5,
        linger: float = 0.05,
    ) -> None:
        self.projection = projection
        self.bus = bus
        self.checkpoints = views[CHECKPOINTS]
        self.parked = views[PARKED]
        self.batch = batch
        self.max_deliver = max_deliver
        self.linger = linger
        self.durable = f"projector-{projection.name}"
        # Events at or below this position are already in the view (a replay built it that far): acked, not applied.
        self.skip_through = 0
        # Cleared while a replay holds this consumer: a fetched batch waits, nothing is written to the view.
        self._running = asyncio.Event()
        self._running.set()
        self._applying = asyncio.Lock()
        self._lease: asyncio.TimerHandle | None = None
        # When the loop last came round (a fetch answered, or timed out on an idle stream), and since when the
        # database has refused the batch in hand (None while it answers).
        self.alive_at = time.monotonic()
        self.waiting_since: float | None = None
        # The highest position applied, and the highest written to the checkpoint (see ``write_checkpoint``).
        self.applied_through = 0
        self._checkpointed = 0
        self._checkpointed_at = 0.0

    # -- pause and resume (replay) ------------------------------------------------------------------------------

    async def pause(self, lease: float) -> int:
        """Stop applying events (the batch in hand is finished first); returns the checkpoint position.

        Resumes by itself after ``lease`` seconds, so a replay that dies cannot stop the projector for good.
        """
        self._running.clear()
        async with self._applying:
            await self.write_checkpoint()
        if self._lease is not None:
            self._lease.cancel()
        self._lease = asyncio.get_running_loop().call_later(lease, self._lease_expired)
        checkpoint = await self.checkpoints.find_one({"_id": self.projection.name})
        return int(checkpoint["position"]) if checkpoint else 0

    def _lease_expired(self) -> None:
        log.warning("pause lease expired, resuming", extra={"projection": self.projection.name})
        self._lease = None
        self._running.set()

    def resume(self, projection: Projection | None = None, *, skip_through: int = 0) -> bool:
        """Carry on, with ``projection`` (writing into a replayed view) if given; returns whether it was paused."""
        was_paused = not self._running.is_set()
        if self._lease is not None:
            self._lease.cancel()
            self._lease = None
        if projection is not None:
            self.projection = projection
        self.skip_through = max(self.skip_through, skip_through)
        self.alive_at = time.monotonic()  # a pause is not a hang
        self._running.set()
        return was_paused

    def problem(self, now_: float | None = None) -> str | None:
        """Why this consumer is not doing its job (stuck waiting for the database, or its loop hung), or None."""
        current = time.monotonic() if now_ is None else now_
        stale = current - self.alive_at
        if stale <= STUCK_AFTER_SECONDS or (self.waiting_since is None and not self._running.is_set()):
            return None  # came round lately, or paused by a replay (a lease bounds that)
        if self.waiting_since is not None:
            return f"waiting {current - self.waiting_since:.0f} s for the database"
        return f"no progress for {stale:.0f} s"

    async def run(self, stop: asyncio.Event) -> None:
        started = False
        while not stop.is_set():
            try:
                if not started:
                    await self._until_stored(self._start, [])
                    started = True
                await self.bus.wait_ready()
                await self._consume(await self.bus.pull_subscription(self.durable), stop)
            except asyncio.CancelledError:
                raise
            except (nats.errors.Error, OSError) as exc:
                log.warning("bus trouble, resubscribing", extra={"error": repr(exc)})
                await asyncio.sleep(1.0)
            except Exception:
                # Whatever it was, the consumer carries on: unacked events come again, and applying is idempotent.
                log.exception("projection consumer failed, resubscribing", extra={"projection": self.projection.name})
                await asyncio.sleep(1.0)

    async def _consume(self, subscription: JetStreamContext.PullSubscription, stop: asyncio.Event) -> None:
        log.info("projection consuming", extra={"projection": self.projection.name})
        try:
            while not stop.is_set():
                self.alive_at = time.monotonic()
                await self._running.wait()
                try:
                    messages = await subscription.fetch(self.batch, timeout=1.0)
                except TimeoutError:
                    await self.write_checkpoint()  # idle: the checkpoint catches up with what was applied
                    continue
                await self._apply_when_running(messages)
                if len(messages) < self.batch:
                    # Let a few more events arrive: one write per batch costs what one per event would.
                    await asyncio.sleep(getattr(self.projection, "linger", self.linger))
        finally:
            # Left subscribed, the connection's drain at shutdown waits its full timeout on this subscription.
            with contextlib.suppress(Exception):
                await subscription.unsubscribe()
            # The last applied position, if the database answers soon (asyncio.timeout, not wait_for: see
            # shared/waiting.py).
            with contextlib.suppress(Exception):
                async with asyncio.timeout(CHECKPOINT_SECONDS), self._applying:
                    await self.write_checkpoint()

    async def _start(self) -> None:
        await self.projection.ensure_indexes()
        checkpoint = await self.checkpoints.find_one({"_id": self.projection.name})
        self.skip_through = max(self.skip_through, int(checkpoint.get("rebuilt_through", 0)) if checkpoint else 0)

    async def _until_stored(self, write: Callable[[], Awaitable[T]], messages: Sequence[Msg]) -> T:
        """Run a database step until the database answers, with back-off. The messages in hand are reported in
        progress meanwhile, so JetStream does not redeliver them (a redelivery would count as a failure)."""
        delay = RETRY_FIRST_SECONDS
        while True:
            try:
                result = await write()
            except ConnectionFailure as exc:
                if self.waiting_since is None:
                    self.waiting_since = time.monotonic()
                    log.warning(
                        "database unreachable, retrying until it answers",
                        extra={"projection": self.projection.name, "error": repr(exc)},
                    )
                await asyncio.gather(*(msg.in_progress() for msg in messages), return_exceptions=True)
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX_SECONDS)
                continue
            if self.waiting_since is not None:
                log.info("database answers again", extra={"projection": self.projection.name})
                self.waiting_since = None
            return result

    async def _apply_when_running(self, messages: list[Msg]) -> None:
        while True:
            await self._running.wait()
            async with self._applying:
                if self._running.is_set():
                    await self.handle_batch(messages)
                    return

    async def handle_batch(self, messages: list[Msg]) -> None:
        """Apply a fetched batch at once; if that fails, one by one, so one poison event cannot stop the rest."""
        decoded: list[tuple[Msg, Envelope]] = []
        for msg in messages:
            try:
                event = Envelope.from_json(msg.data)
            except Exception as exc:
                reason = f"undecodable: {exc!r}"
                await self._until_stored(partial(self.park, msg, None, reason), [msg])
                await msg.term()
                continue
            if event.position <= self.skip_through:
                await msg.ack()  # a replay put it in the view already
            else:
                decoded.append((msg, event))
        if not decoded:
            return
        in_hand = [msg for msg, _ in decoded]
        try:
            await self._until_stored(lambda: self.projection.apply_batch([event for _, event in decoded]), in_hand)
        except Exception:
            log.warning("batch failed, applying its events one by one", exc_info=True)
            applied = [event for msg, event in decoded if await self.handle_one(msg, event)]
        else:
            await asyncio.gather(*(msg.ack() for msg in in_hand))
            applied = [event for _, event in decoded]
        if applied:
            self.applied_through = max(self.applied_through, *(e.position for e in applied))
            if time.monotonic() - self._checkpointed_at >= CHECKPOINT_SECONDS:
                await self.write_checkpoint()

    async def write_checkpoint(self) -> None:
        """Record how far this projection has applied the log, if that moved since last written.

        Written at most once a second while events flow (five projections writing one after every batch were a
        tenth of FerretDB's work per message), when the stream goes idle, when paused and when stopping. Only
        readers of the position wait for it (a replay's hand-over, `parley verify`, status): JetStream's acks, not
        this, say what is delivered again, and views take an event twice alike."""
        highest = self.applied_through
        if highest <= self._checkpointed:
            return
        self._checkpointed_at = time.monotonic()
        await self._until_stored(
            lambda: self.checkpoints.update_one(
                {"_id": self.projection.name},
                {"$max": {"position": highest}, "$set": {"updated_at": now()}},
                upsert=True,
            ),
            [],
        )
        self._checkpointed = max(self._checkpointed, highest)

    async def handle_one(self, msg: Msg, event: Envelope) -> bool:
        """Apply one event; returns whether it was applied (and acked)."""
        try:
            await self._until_stored(lambda: self.projection.apply_batch([event]), [msg])
        except Exception as exc:
            deliveries = msg.metadata.num_delivered or 1
            if deliveries >= self.max_deliver:
                log.exception("poison event parked", extra={"event_id": event.id, "type": event.type})
                reason = repr(exc)
                await self._until_stored(partial(self.park, msg, event, reason), [msg])
                await msg.term()
            else:
                log.warning(
                    "projection failed, redelivering",
                    extra={"event_id": event.id, "deliveries": deliveries, "error": repr(exc)},
                )
                await msg.nak(delay=0.5 * deliveries)
            return False
        await msg.ack()
        return True

    async def park(self, msg: Msg, event: Envelope | None, reason: str) -> None:
        await self.parked.insert_one(
            {
                "projection": self.projection.name,
                "event_id": event.id if event else None,
                "type": event.type if event else None,
                "position": event.position if event else None,
                "subject": msg.subject,
                "raw": msg.data.decode("utf-8", "replace"),
                "reason": reason,
                "parked_at": now(),
            }
        )

"""Runs one projection as a durable JetStream pull consumer: ack after the write, retry, park poison events."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Protocol

import nats.errors
from nats.aio.msg import Msg
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import ConnectionFailure

from shared.bus import Bus
from shared.events import Envelope, now

log = logging.getLogger(__name__)

CHECKPOINTS = "checkpoints"
PARKED = "parked_events"


class Projection(Protocol):
    name: str
    collections: tuple[str, ...]

    async def ensure_indexes(self) -> None: ...

    async def apply_batch(self, events: list[Envelope]) -> None:
        """Apply events in order; must be idempotent and tolerate events of other streams in any order."""


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

    async def run(self, stop: asyncio.Event) -> None:
        await self.projection.ensure_indexes()
        while not stop.is_set():
            try:
                await self.bus.wait_ready()
                subscription = await self.bus.pull_subscription(self.durable, max_deliver=self.max_deliver)
                log.info("projection consuming", extra={"projection": self.projection.name})
                while not stop.is_set():
                    try:
                        messages = await subscription.fetch(self.batch, timeout=1.0)
                    except TimeoutError:
                        continue
                    await self.handle_batch(messages)
                    if len(messages) < self.batch:
                        # Let a few more events arrive: one write per batch costs what one per event would.
                        await asyncio.sleep(getattr(self.projection, "linger", self.linger))
            except asyncio.CancelledError:
                raise
            except (nats.errors.Error, OSError) as exc:
                log.warning("bus trouble, resubscribing", extra={"error": repr(exc)})
                await asyncio.sleep(1.0)

    async def handle_batch(self, messages: list[Msg]) -> None:
        """Apply a fetched batch at once; if that fails, one by one, so one poison event cannot stop the rest."""
        decoded: list[tuple[Msg, Envelope]] = []
        for msg in messages:
            try:
                decoded.append((msg, Envelope.from_json(msg.data)))
            except Exception as exc:
                await self.park(msg, None, f"undecodable: {exc!r}")
                await msg.term()
        if not decoded:
            return
        try:
            await self.projection.apply_batch([event for _, event in decoded])
        except ConnectionFailure as exc:
            log.warning("database unreachable, will retry", extra={"error": repr(exc)})
            await asyncio.gather(*(msg.nak(delay=1.0) for msg, _ in decoded))
            return
        except Exception:
            log.warning("batch failed, applying its events one by one", exc_info=True)
            applied = [event for msg, event in decoded if await self.handle_one(msg, event)]
        else:
            await asyncio.gather(*(msg.ack() for msg, _ in decoded))
            applied = [event for _, event in decoded]
        if applied:
            await self.checkpoints.update_one(
                {"_id": self.projection.name},
                {"$max": {"position": max(e.position for e in applied)}, "$set": {"updated_at": now()}},
                upsert=True,
            )

    async def handle_one(self, msg: Msg, event: Envelope) -> bool:
        """Apply one event; returns whether it was applied (and acked)."""
        try:
            await self.projection.apply_batch([event])
        except ConnectionFailure as exc:
            log.warning("database unreachable, will retry", extra={"event_id": event.id, "error": repr(exc)})
            await msg.nak(delay=1.0)
            return False
        except Exception as exc:
            deliveries = msg.metadata.num_delivered or 1
            if deliveries >= self.max_deliver:
                log.exception("poison event parked", extra={"event_id": event.id, "type": event.type})
                await self.park(msg, event, repr(exc))
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

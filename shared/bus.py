"""The event bus on NATS JetStream: one stream for chat events, subjects ``<prefix>.<EventType>``.

The connection is made in the background and retried forever, so a service starts (and the command side keeps
accepting commands) while NATS is down; ``publish`` then raises ``BusUnavailable`` and the outbox catches up later.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import datetime

import nats
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.js import JetStreamContext, api
from nats.js.errors import BadRequestError

from shared.events import Envelope
from shared.settings import Settings

log = logging.getLogger(__name__)

# How long JetStream keeps message ids to drop duplicate publishes (consumers are idempotent beyond it anyway).
DUPLICATE_WINDOW_SECONDS = 120.0
# A publish not acknowledged within this is treated as failed; the outbox publishes the event later.
PUBLISH_TIMEOUT_SECONDS = 2.0
# An event fetched and neither acked nor reported in progress within this is redelivered.
CONSUMER_ACK_WAIT_SECONDS = 30.0


class BusUnavailable(Exception):
    """NATS is not reachable (or did not acknowledge in time)."""


class Bus:
    def __init__(self, settings: Settings, *, name: str) -> None:
        self.settings = settings
        self.name = name
        self.nc: NATS = NATS()
        self._js: JetStreamContext | None = None
        self._connect_task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        # Called each time the stream is (re)confirmed after a (re)connect.
        self.on_ready: list[Callable[[], Awaitable[None]]] = []

    # -- lifecycle ----------------------------------------------------------------------------------------------

    def start(self) -> None:
        """Begin connecting in the background."""
        if self._connect_task is None:
            self._connect_task = asyncio.create_task(self._connect(), name=f"nats-connect-{self.name}")

    async def wait_ready(self) -> None:
        await self._ready.wait()

    @property
    def ready(self) -> bool:
        return self._ready.is_set() and self.nc.is_connected

    async def close(self) -> None:
        if self._connect_task is not None and not self._connect_task.done():
            self._connect_task.cancel()
        if self.nc.is_connected:
            try:
                await self.nc.drain()
            except Exception:  # drain after a lost connection can fail; closing is all that is left
                log.warning("NATS drain failed", exc_info=True)
        if not self.nc.is_closed:
            await self.nc.close()

    async def _connect(self) -> None:
        await self.nc.connect(
            servers=[url.strip() for url in self.settings.nats_url.split(",") if url.strip()],
            name=self.name,
            max_reconnect_attempts=-1,
            reconnect_time_wait=1,
            connect_timeout=2,
            disconnected_cb=self._on_disconnected,
            reconnected_cb=self._on_reconnected,
            error_cb=self._on_error,
        )
        self._js = self.nc.jetstream(timeout=5)
        await self._become_ready()

    async def _become_ready(self) -> None:
        await self.ensure_stream()
        self._ready.set()
        log.info("bus ready", extra={"nats_url": self.settings.nats_url, "stream": self.settings.nats_stream})
        for callback in self.on_ready:
            await callback()

    async def _on_disconnected(self) -> None:
        self._ready.clear()
        log.warning("NATS disconnected")

    async def _on_reconnected(self) -> None:
        log.info("NATS reconnected")
        try:
            await self._become_ready()
        except Exception:
            log.exception("could not confirm the JetStream stream after reconnecting")

    async def _on_error(self, error: Exception) -> None:
        log.debug("NATS error: %s", error)

    # -- stream -------------------------------------------------------------------------------------------------

    @property
    def js(self) -> JetStreamContext:
        if self._js is None:
            raise BusUnavailable("not connected to NATS yet")
        return self._js

    @property
    def all_subjects(self) -> str:
        return f"{self.settings.subject_prefix}.>"

    def subject(self, event_type: str) -> str:
        return f"{self.settings.subject_prefix}.{event_type}"

    async def ensure_stream(self) -> None:
        """Create the stream, or bring its settings up to date: the one place streams are provisioned."""
        config = api.StreamConfig(
            name=self.settings.nats_stream,
            subjects=[self.all_subjects],
            storage=api.StorageType.FILE,
            retention=api.RetentionPolicy.LIMITS,
            duplicate_window=DUPLICATE_WINDOW_SECONDS,
            num_replicas=self.settings.nats_stream_replicas,
        )
        try:
            await self.js.add_stream(config)
        except BadRequestError:
            await self.js.update_stream(config)

    # -- publish and consume ------------------------------------------------------------------------------------

    async def publish(self, event: Envelope) -> None:
        if not self.ready:
            raise BusUnavailable("NATS is not connected")
        try:
            await self.js.publish(
                self.subject(event.type),
                event.to_json(),
                timeout=PUBLISH_TIMEOUT_SECONDS,
                headers={"Nats-Msg-Id": event.id},
            )
        except (nats.errors.Error, TimeoutError, OSError) as exc:
            raise BusUnavailable(str(exc) or type(exc).__name__) from exc

    async def pull_subscription(self, durable: str) -> JetStreamContext.PullSubscription:
        """A durable pull consumer over every event, explicit acks, redelivered for as long as it takes.

        The server never gives up on an event (``max_deliver`` unlimited): a consumer that stopped redelivering
        after a few database failures dropped events from its view for good. Whether an event is poison is the
        consumer's call (it parks it). The configuration is applied to an existing consumer too (create or update).
        """
        config = api.ConsumerConfig(
            name=durable,
            durable_name=durable,
            ack_policy=api.AckPolicy.EXPLICIT,
            deliver_policy=api.DeliverPolicy.ALL,
            ack_wait=CONSUMER_ACK_WAIT_SECONDS,
            max_deliver=-1,
            max_ack_pending=10_000,
            filter_subject=self.all_subjects,
        )
        await self.js.add_consumer(self.settings.nats_stream, config=config)
        return await self.js.pull_subscribe_bind(durable=durable, stream=self.settings.nats_stream)

    async def subscribe_live(self, callback: Callable[[Msg], Awaitable[None]]) -> Subscription:
        """Every event as it is published, to this process (a plain subscription, not a queue group)."""
        return await self.nc.subscribe(self.all_subjects, cb=callback)

    async def subscribe_types(
        self, types: Sequence[str], callback: Callable[[Msg], Awaitable[None]]
    ) -> list[Subscription]:
        """Events of some types as they are published, to this process (plain subscriptions)."""
        return [await self.nc.subscribe(self.subject(t), cb=callback) for t in types]

    async def recent(self, types: Sequence[str], *, since: datetime) -> AsyncIterator[Envelope]:
        """The stored events of ``types`` published since ``since``: a bounded read of the stream (JetStream
        finds the start by time and filters by subject), through a short-lived consumer."""
        config = api.ConsumerConfig(
            deliver_policy=api.DeliverPolicy.BY_START_TIME,
            opt_start_time=since,
            ack_policy=api.AckPolicy.NONE,
            filter_subjects=[self.subject(t) for t in types],
            inactive_threshold=30.0,
            mem_storage=True,
        )
        sub = await self.js.pull_subscribe(self.subject(types[0]), stream=self.settings.nats_stream, config=config)
        try:
            pending = (await sub.consumer_info()).num_pending or 0
            while pending > 0:
                try:
                    batch = await sub.fetch(min(pending, 500), timeout=2)
                except TimeoutError:
                    return
                for msg in batch:
                    yield Envelope.from_json(msg.data)
                    pending = msg.metadata.num_pending
        finally:
            await sub.unsubscribe()

    async def signal(self, name: str, payload: bytes) -> None:
        """Send an ephemeral signal to every node (plain NATS: at most once, never stored)."""
        if not self.nc.is_connected:
            raise BusUnavailable("NATS is not connected")
        await self.nc.publish(f"{self.settings.live_subject_prefix}.{name}", payload)

    async def ask(self, name: str, payload: bytes, *, wait_seconds: float) -> bytes:
        """Ask whoever answers ``name`` (request and reply over plain NATS); ``BusUnavailable`` without an answer."""
        if not self.nc.is_connected:
            raise BusUnavailable("NATS is not connected")
        try:
            reply = await self.nc.request(f"{self.settings.live_subject_prefix}.{name}", payload, timeout=wait_seconds)
        except (nats.errors.Error, TimeoutError) as exc:
            raise BusUnavailable(str(exc) or type(exc).__name__) from exc
        return reply.data

    async def subscribe_signals(
        self, name: str, callback: Callable[[Msg], Awaitable[None]], *, queue: str = ""
    ) -> Subscription:
        """Signals by name; with ``queue``, one subscriber of the group gets each."""
        return await self.nc.subscribe(f"{self.settings.live_subject_prefix}.{name}", queue=queue, cb=callback)

"""Holding live consumers while a replay switches their views: both ends of a plain NATS request/reply.

``parley replay`` asks the projector to pause some projections (the batch in hand is finished first; the answer
carries each one's checkpoint), switches the view catalog, then asks it to resume them on the new collections,
skipping events the replay already applied. A pause is a lease: a replay that dies cannot stop the projector for
good. Requests go under the live subject prefix, so they are never stored in the event stream.
"""

from __future__ import annotations

import logging
from typing import Any

import nats.errors
import orjson
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg

from projector.consumer import ProjectionConsumer
from projector.registry import PROJECTIONS
from shared.bus import Bus
from shared.signals import PROJECTOR_PAUSE, PROJECTOR_RESUME
from shared.views import ViewCatalog

log = logging.getLogger(__name__)

REQUEST_TIMEOUT_SECONDS = 15.0


class ControlServer:
    """The projector's end: answers pause and resume for its consumers."""

    def __init__(self, consumers: list[ProjectionConsumer], catalog: ViewCatalog) -> None:
        self.consumers = {c.projection.name: c for c in consumers}
        self.catalog = catalog
        self._listening = False

    async def listen(self, bus: Bus) -> None:
        """Subscribe to the requests (called each time the bus is ready; the client renews its subscriptions after
        a reconnect by itself, so only the first call subscribes)."""
        if not self._listening:
            self._listening = True
            await bus.subscribe_signals(PROJECTOR_PAUSE, self.on_pause)
            await bus.subscribe_signals(PROJECTOR_RESUME, self.on_resume)

    def _chosen(self, request: dict[str, Any]) -> list[ProjectionConsumer]:
        return [self.consumers[n] for n in request.get("projections", []) if n in self.consumers]

    async def on_pause(self, msg: Msg) -> None:
        request = orjson.loads(msg.data)
        lease = float(request.get("lease", 120))
        positions = {c.projection.name: await c.pause(lease) for c in self._chosen(request)}
        log.info("projections paused for a replay", extra={"projections": list(positions)})
        await msg.respond(orjson.dumps({"paused": positions}))

    async def on_resume(self, msg: Msg) -> None:
        request = orjson.loads(msg.data)
        await self.catalog.refresh()
        skip_through = int(request.get("skip_through", 0))
        resumed = {}
        for consumer in self._chosen(request):
            name = consumer.projection.name
            if request.get("switched"):
                # A new projection object: it writes into the collection the catalog now names and remembers
                # nothing of the view it wrote before.
                fresh = PROJECTIONS[name](self.catalog)
                resumed[name] = consumer.resume(fresh, skip_through=skip_through)
            else:
                resumed[name] = consumer.resume()
        log.info("projections resumed after a replay", extra={"projections": list(resumed)})
        await msg.respond(orjson.dumps({"resumed": resumed}))


class ControlClient:
    """The replay's end. Without a projector running, a pause answers nothing and there is nothing to hold."""

    def __init__(self, nc: NATS, live_prefix: str) -> None:
        self.nc = nc
        self.live_prefix = live_prefix

    async def _request(self, name: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        if not self.nc.is_connected:
            return None
        try:
            reply = await self.nc.request(
                f"{self.live_prefix}.{name}", orjson.dumps(payload), timeout=REQUEST_TIMEOUT_SECONDS
            )
        except nats.errors.NoRespondersError:
            return None
        answer: dict[str, Any] = orjson.loads(reply.data)
        return answer

    async def pause(self, names: list[str], lease: float) -> dict[str, int] | None:
        """Checkpoints of the paused projections; None when no projector answered."""
        answer = await self._request(PROJECTOR_PAUSE, {"projections": names, "lease": lease})
        return None if answer is None else {k: int(v) for k, v in answer["paused"].items()}

    async def resume(self, names: list[str], *, switched: bool, skip_through: int = 0) -> dict[str, bool] | None:
        """Whether each projection was still paused (False: its lease ran out first)."""
        answer = await self._request(
            PROJECTOR_RESUME, {"projections": names, "switched": switched, "skip_through": skip_through}
        )
        return None if answer is None else {k: bool(v) for k, v in answer["resumed"].items()}

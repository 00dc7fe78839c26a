"""The projector process: one durable consumer per read model.

It runs as the lifespan of a tiny ASGI app so that uvicorn handles signals and serves ``/healthz`` and ``/readyz``
on the health port; the projector accepts no commands.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from pymongo.asynchronous.database import AsyncDatabase

from projector.consumer import Projection, ProjectionConsumer
from projector.conversations import ConversationsProjection
from projector.media import MediaProjection
from projector.messages import MessagesProjection
from projector.settings import ProjectorSettings
from projector.users import UsersProjection
from shared.bus import Bus
from shared.logging import configure_logging
from shared.mongo import create_client, ping
from shared.web import HealthCheck, health_router

log = logging.getLogger(__name__)


def projections(views: AsyncDatabase[dict[str, Any]]) -> list[Projection]:
    """Every read model the projector maintains."""
    return [UsersProjection(views), MessagesProjection(views), ConversationsProjection(views), MediaProjection(views)]


def create_app(settings: ProjectorSettings | None = None) -> FastAPI:
    settings = settings or ProjectorSettings()
    configure_logging(settings.service_name, settings.log_level, settings.log_format)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        client = create_client(settings)
        views = client[settings.views_db]
        bus = Bus(settings, name=settings.service_name)
        app.state.mongo, app.state.bus = client, bus
        bus.start()
        stop = asyncio.Event()
        consumers = [
            ProjectionConsumer(p, bus, views, batch=settings.fetch_batch, max_deliver=settings.max_deliver)
            for p in projections(views)
        ]
        tasks = [asyncio.create_task(c.run(stop), name=f"projection-{c.projection.name}") for c in consumers]
        log.info("projector started", extra={"projections": [c.projection.name for c in consumers]})
        try:
            yield
        finally:
            stop.set()
            # Consumers notice the stop within one fetch timeout and finish the batch in hand.
            _done, pending = await asyncio.wait(tasks, timeout=5.0)
            for task in pending:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await bus.close()
            await client.close()

    app = FastAPI(title="Parley projector", version="0.1.0", lifespan=lifespan)
    app.include_router(health_router(_health_checks))
    return app


def _health_checks(request: Request) -> Mapping[str, HealthCheck]:
    state = request.app.state

    async def nats() -> None:
        if not state.bus.ready:
            raise ConnectionError("NATS not connected")

    return {"mongodb": lambda: ping(state.mongo), "nats": nats}


def main() -> None:
    settings = ProjectorSettings()
    uvicorn.run(
        create_app(settings), host=settings.health_host, port=settings.health_port, log_config=None, loop="auto"
    )

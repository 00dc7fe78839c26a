"""The projector process: one durable consumer per read model.

It runs as the lifespan of a tiny ASGI app so that uvicorn handles signals and serves ``/healthz`` and ``/readyz``
on the health port; the projector accepts no commands.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

import uvicorn
from fastapi import FastAPI, Request
from pymongo.errors import ConnectionFailure

from projector.consumer import ProjectionConsumer
from projector.control import ControlServer
from projector.registry import projections
from projector.settings import ProjectorSettings
from shared.bus import Bus
from shared.event_reader import EventReader
from shared.gc_tuning import freeze_startup_objects
from shared.logging import configure_logging
from shared.mongo import create_client, ping
from shared.views import ViewCatalog
from shared.waiting import stop_tasks
from shared.web import HealthCheck, NotReady, health_router

log = logging.getLogger(__name__)


def create_app(settings: ProjectorSettings | None = None) -> FastAPI:
    settings = settings or ProjectorSettings()
    configure_logging(settings.service_name, settings.log_level, settings.log_format)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        client = create_client(settings)
        views = client[settings.views_db]
        catalog = ViewCatalog(views)
        catalog.read_positions = EventReader(client[settings.mongodb_db]).at_positions
        await _refresh_until_reachable(catalog)
        bus = Bus(settings, name=settings.service_name)
        app.state.mongo, app.state.bus = client, bus
        stop = asyncio.Event()
        consumers = [
            ProjectionConsumer(p, bus, views, batch=settings.fetch_batch, max_deliver=settings.max_deliver)
            for p in projections(catalog)
        ]
        control = ControlServer(consumers, catalog)
        bus.on_ready.append(lambda: control.listen(bus))
        bus.start()
        tasks = [asyncio.create_task(c.run(stop), name=f"projection-{c.projection.name}") for c in consumers]
        app.state.consumers = list(zip(consumers, tasks, strict=True))
        log.info("projector started", extra={"projections": [c.projection.name for c in consumers]})
        freeze_startup_objects()
        try:
            yield
        finally:
            stop.set()
            # Consumers notice the stop within one fetch timeout and finish the batch in hand.
            await asyncio.wait(tasks, timeout=5.0)
            await stop_tasks(tasks)
            await bus.close()
            await client.close()

    app = FastAPI(title="Parley projector", version="0.1.0", lifespan=lifespan)
    app.include_router(health_router(_health_checks))
    return app


async def _refresh_until_reachable(catalog: ViewCatalog) -> None:
    """The catalog names the collections to write into: wait for the database rather than guess."""
    while True:
        try:
            await catalog.refresh()
            return
        except ConnectionFailure as exc:
            log.warning("database unreachable, waiting to read the view catalog", extra={"error": repr(exc)})
            await asyncio.sleep(1.0)


def _health_checks(request: Request) -> Mapping[str, HealthCheck]:
    state = request.app.state

    async def nats() -> None:
        if not state.bus.ready:
            raise ConnectionError("NATS not connected")

    async def consumers() -> None:
        # A consumer that ended or is stuck leaves its view behind the log: the projector is not doing its job.
        problems = [
            f"{consumer.projection.name}: {'stopped' if task.done() else consumer.problem()}"
            for consumer, task in state.consumers
            if task.done() or consumer.problem()
        ]
        if problems:
            raise NotReady("; ".join(problems))

    return {"mongodb": lambda: ping(state.mongo), "nats": nats, "consumers": consumers}


def main() -> None:
    settings = ProjectorSettings()
    uvicorn.run(
        create_app(settings), host=settings.health_host, port=settings.health_port, log_config=None, loop="auto"
    )

"""The query API: reads from the read models; never appends events."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request

from query_api.directory import Directory
from query_api.routes import audit, conversations, media, sync, users
from query_api.settings import QuerySettings
from shared.breaker import DatabaseBreaker
from shared.bus import Bus
from shared.event_reader import EventReader
from shared.gc_tuning import freeze_startup_objects
from shared.logging import configure_logging
from shared.lru import Lru
from shared.media_urls import MediaSigner
from shared.mongo import create_client, ping
from shared.sessions import Revocations, start_following
from shared.storage import DiskStorage
from shared.views import ViewCatalog
from shared.web import HealthCheck, health_router, install_common

# Conversations whose newest seq served is remembered (query_api/routes/conversations.py).
SERVED_HEADS = 20_000


def create_app(settings: QuerySettings | None = None) -> FastAPI:
    settings = settings or QuerySettings()
    configure_logging(settings.service_name, settings.log_level, settings.log_format)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        client = create_client(settings)
        app.state.mongo = client
        # Reads fail fast too while the database is away (shared/breaker.py), instead of each waiting a timeout.
        app.state.breaker = breaker = DatabaseBreaker(lambda: ping(client))
        # Which collection serves each read model; followed in the background, so a replay's switch is seen.
        app.state.views = catalog = ViewCatalog(client[settings.views_db])
        with contextlib.suppress(Exception):  # the database may still be starting: keep_fresh retries
            await catalog.refresh()
        stop = asyncio.Event()
        refresher = asyncio.create_task(catalog.keep_fresh(stop), name="view-catalog")
        # Everyone's name for the sidebar's pages and search: a bounded read at start, then only what changes.
        app.state.directory = directory = Directory(catalog)
        with contextlib.suppress(Exception):
            await directory.refresh()
        directory_refresher = asyncio.create_task(directory.keep_fresh(stop), name="directory")
        # Read-only use of the log: catch-up reads and (later) audit; the query side never appends.
        app.state.store = EventReader(client[settings.mongodb_db])
        app.state.storage = DiskStorage(settings.media_dir)
        # The bus only to hear which sessions end (shared/sessions.py); the query side publishes nothing.
        bus = Bus(settings, name=settings.service_name)
        start_following(bus, app.state.revocations)
        bus.start()
        freeze_startup_objects()
        try:
            yield
        finally:
            stop.set()
            await refresher
            await directory_refresher
            await bus.close()
            await breaker.close()
            await client.close()

    app = FastAPI(
        title="Parley query API",
        version="0.1.0",
        description="Reads of Parley's read models (sidebar, conversations, history), built from the event log.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.revocations = Revocations(remember_seconds=settings.jwt_ttl_seconds)
    app.state.signer = MediaSigner.from_settings(settings)
    # Where each conversation's newest page was when this process last served it: the next newest page of it is
    # read while its summary is, not after (a few MiB at most).
    app.state.served_heads = Lru[str, int](SERVED_HEADS)
    install_common(app, max_body_bytes=settings.max_body_bytes)
    app.include_router(users.router)
    app.include_router(conversations.router)
    app.include_router(sync.router)
    app.include_router(media.router)
    app.include_router(audit.router)
    app.include_router(health_router(_health_checks))
    return app


def _health_checks(request: Request) -> Mapping[str, HealthCheck]:
    return {"mongodb": lambda: ping(request.app.state.mongo), "sessions": request.app.state.revocations.health}

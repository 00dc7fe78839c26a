"""The command API: the only writer of the event log."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from command_api.directory import UserDirectory
from command_api.domain.rules import AlreadyExists, DecisionError, NotFound
from command_api.media.uploads import FRAMING_ALLOWANCE
from command_api.presence import PresenceRegistry
from command_api.quota import UploadQuota
from command_api.rate_limit import TokenBuckets
from command_api.recorder import Recorder
from command_api.routes import auth, messages, profile, sessions, uploads
from command_api.sessions import Sessions
from command_api.settings import CommandSettings
from command_api.throttle import LoginThrottle
from shared.auth import create_access_token
from shared.breaker import DatabaseBreaker
from shared.bus import Bus
from shared.event_log import ConcurrencyError
from shared.event_store import EventStore
from shared.gc_tuning import freeze_startup_objects
from shared.logging import configure_logging
from shared.media_urls import MediaSigner
from shared.mongo import create_client, ping
from shared.outbox import Outbox
from shared.sessions import Revocations, start_following
from shared.storage import DiskStorage
from shared.warm_up import warm_up
from shared.web import HealthCheck, error_body, health_router, install_common

log = logging.getLogger(__name__)


def create_app(settings: CommandSettings | None = None) -> FastAPI:
    settings = settings or CommandSettings()
    configure_logging(settings.service_name, settings.log_level, settings.log_format)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        client = create_client(settings)
        db = client[settings.mongodb_db]
        store = EventStore(db)
        app.state.breaker = store.breaker = DatabaseBreaker(lambda: ping(client))
        await store.ensure_indexes()
        await store.catch_up_index()
        bus = Bus(settings, name=settings.service_name)
        outbox = Outbox(store, bus)
        await outbox.start()
        recorder = Recorder(store, outbox)
        app.state.sessions = Sessions(db, recorder, revocations)
        start_following(bus, revocations)
        app.state.directory = directory = UserDirectory(store)
        directory.answer_on(bus)
        presence = PresenceRegistry(
            db,
            store,
            recorder,
            bus,
            grace_seconds=settings.presence_grace_seconds,
            node_timeout_seconds=settings.node_timeout_seconds,
        )
        await presence.start()
        bus.start()
        app.state.mongo = client
        app.state.bus = bus
        app.state.store = store
        app.state.recorder = recorder
        app.state.login_throttle = throttle = LoginThrottle(
            db,
            free_failures=settings.login_max_failures,
            window_seconds=settings.login_window_seconds,
            backoff_seconds=settings.login_backoff_seconds,
            account_limit=settings.login_account_limit,
            address_limit=settings.login_address_limit,
        )
        await throttle.ensure_indexes()
        app.state.message_rate = TokenBuckets(rate=settings.message_rate, burst=settings.message_burst)
        app.state.profile_rate = TokenBuckets(
            rate=settings.profile_changes_per_minute / 60, burst=settings.profile_burst
        )
        app.state.password_rate = TokenBuckets(rate=5 / 60, burst=5)
        app.state.signup_rate = TokenBuckets(rate=settings.signups_per_hour / 3600, burst=settings.signups_per_hour)
        app.state.upload_quota = UploadQuota(
            db, max_count=settings.uploads_per_day, max_bytes=settings.upload_bytes_per_day
        )
        app.state.storage = DiskStorage(settings.media_dir)
        app.state.image_slots = asyncio.Semaphore(settings.image_workers)
        await _warm_up_send(app, settings)
        freeze_startup_objects()
        try:
            yield
        finally:
            await presence.stop()
            await outbox.stop()
            await bus.close()
            await app.state.breaker.close()
            await client.close()

    app = FastAPI(
        title="Parley command API",
        version="0.1.0",
        description="Commands that change Parley: each is validated, decided, appended to the event log and "
        "published on the bus.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    # Ended sessions, in memory (shared/sessions.py): every request's token is checked against them.
    app.state.revocations = revocations = Revocations(remember_seconds=settings.jwt_ttl_seconds)
    app.state.signer = MediaSigner.from_settings(settings)
    # Uploads stream past the JSON body limit; their route counts the bytes and stops at the exact limit.
    streamed = {"/api/uploads": settings.max_upload_bytes + FRAMING_ALLOWANCE}
    install_common(app, max_body_bytes=settings.max_body_bytes, streamed=streamed)
    app.include_router(auth.router)
    app.include_router(sessions.router)
    app.include_router(messages.router)
    app.include_router(uploads.router)
    app.include_router(profile.router)

    @app.exception_handler(DecisionError)
    async def refused(request: Request, exc: DecisionError) -> JSONResponse:
        return JSONResponse(error_body(str(exc)), status_code=422)

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound) -> JSONResponse:
        return JSONResponse(error_body(str(exc)), status_code=404)

    @app.exception_handler(AlreadyExists)
    async def exists(request: Request, exc: AlreadyExists) -> JSONResponse:
        return JSONResponse(error_body(str(exc)), status_code=409)

    @app.exception_handler(ConcurrencyError)
    async def conflict(request: Request, exc: ConcurrencyError) -> JSONResponse:
        return JSONResponse(error_body("a concurrent change won; retry"), status_code=409)

    app.include_router(health_router(_health_checks))
    return app


def _health_checks(request: Request) -> Mapping[str, HealthCheck]:
    state = request.app.state

    async def nats() -> None:
        if not state.bus.ready:
            raise ConnectionError("NATS not connected")

    return {"mongodb": lambda: ping(state.mongo), "nats": nats, "sessions": state.revocations.health}


# Ids no user can have (new_id() makes hex ones): the warm-up send is answered 404 and writes nothing.
WARM_UP_SENDER, WARM_UP_RECIPIENT = "warm-up-sender", "warm-up-nobody"


async def _warm_up_send(app: FastAPI, settings: CommandSettings) -> None:
    """One send through the whole stack before the service listens (shared/warm_up.py says why)."""
    token = create_access_token(WARM_UP_SENDER, secret=settings.jwt_secret.get_secret_value(), ttl_seconds=60)
    body = {"to": WARM_UP_RECIPIENT, "type": "text", "text": "warm-up", "client_msg_id": "warm-up"}
    status = await warm_up(app, "POST", "/api/messages", headers={"Authorization": f"Bearer {token}"}, body=body)
    if status != 404:
        log.warning("the warm-up send was not answered 404", extra={"status": status})

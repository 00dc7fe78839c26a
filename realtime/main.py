"""A realtime node: python-socketio on ASGI, fed by NATS."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

import orjson
import socketio
from fastapi import FastAPI, Request

from realtime.connections import register_connection_handlers
from realtime.directory import KnownUsers
from realtime.fanout import Fanout
from realtime.presence import PresenceReporter
from realtime.presence_audience import PresenceAudience
from realtime.presence_push import PresencePush
from realtime.settings import RealtimeSettings
from realtime.socket_manager import IndexedManager
from realtime.sockets import SocketSessions
from realtime.typing_relay import TypingRelay
from realtime.user_push import UserPush
from shared.bus import Bus
from shared.gc_tuning import freeze_startup_objects, space_out_full_collections
from shared.logging import configure_logging
from shared.media_urls import MediaSigner
from shared.sessions import Revocations, start_following
from shared.signals import TYPING
from shared.web import HealthCheck, health_router


class _OrjsonPackets:
    """Socket.IO packet encoding with orjson; datetimes as ISO 8601 with ``Z``, exactly as the HTTP APIs write them."""

    @staticmethod
    def dumps(obj: object, *args: object, **kwargs: object) -> str:
        return orjson.dumps(obj, option=orjson.OPT_UTC_Z).decode()

    @staticmethod
    def loads(raw: str | bytes, *args: object, **kwargs: object) -> object:
        return orjson.loads(raw)


def create_app(settings: RealtimeSettings | None = None) -> socketio.ASGIApp:
    settings = settings or RealtimeSettings()
    configure_logging(settings.service_name, settings.log_level, settings.log_format)
    sio = socketio.AsyncServer(
        async_mode="asgi",
        client_manager=IndexedManager(),
        cors_allowed_origins=settings.origins,  # a browser from any other Origin is refused
        json=_OrjsonPackets,
        ping_interval=settings.ping_interval,
        ping_timeout=settings.ping_timeout,
    )
    bus = Bus(settings, name=f"{settings.service_name}-{settings.node_id}")
    presence = PresenceReporter(bus, settings.node_id, heartbeat_seconds=settings.heartbeat_seconds)
    revocations = Revocations(remember_seconds=settings.jwt_ttl_seconds)
    sockets = SocketSessions(
        sio,
        revocations,
        secret=settings.jwt_secret.get_secret_value(),
        max_sockets_per_user=settings.max_sockets_per_user,
    )
    audience = PresenceAudience(max_watched=settings.max_watched_presence)
    register_connection_handlers(sio, sockets, presence, audience)
    users = KnownUsers(bus)
    fanout = Fanout(
        sio,
        MediaSigner.from_settings(settings),
        PresencePush(
            sio,
            audience,
            window_seconds=settings.presence_push_window,
            newcomer_seconds=settings.presence_newcomer_seconds,
        ),
        UserPush(sio, window_seconds=settings.user_push_window),
        users,
    )
    typing = TypingRelay(sio, bus, sockets, users, rate=settings.typing_rate, burst=settings.typing_burst)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.bus = bus
        app.state.revocations = revocations

        async def subscribe() -> None:
            # Plain subscriptions, so every node gets every event; the client renews them after a reconnect.
            if not getattr(app.state, "subscribed", False):
                app.state.subscribed = True
                await bus.subscribe_live(fanout.on_bus_message)
                await bus.subscribe_signals(TYPING, typing.on_signal)
            else:
                # After a reconnect the renewed subscription is in place once a round trip has gone by.
                await bus.nc.flush()
            await fanout.bus_back()

        bus.on_ready.append(subscribe)
        start_following(bus, revocations)
        bus.start()
        presence.start()
        freeze_startup_objects()
        space_out_full_collections()
        try:
            yield
        finally:
            await presence.stop()
            await bus.close()

    api = FastAPI(title="Parley realtime node", version="0.1.0", lifespan=lifespan)
    api.state.settings = settings
    api.include_router(health_router(_health_checks))
    app = socketio.ASGIApp(sio, other_asgi_app=api, socketio_path="socket.io")
    return app


def _health_checks(request: Request) -> Mapping[str, HealthCheck]:
    bus: Bus = request.app.state.bus

    async def nats() -> None:
        if not bus.ready:
            raise ConnectionError("NATS not connected")

    revocations: Revocations = request.app.state.revocations
    return {"nats": nats, "sessions": revocations.health}

"""A realtime node: python-socketio served by aiohttp, fed by NATS. Run it with ``python -m realtime --port P``.

aiohttp rather than uvicorn and ASGI: an idle socket costs the node less memory (no ASGI scope, no second copy of
the headers, no web-socket adapter with events of its own per socket) and each connect less CPU (docs/perf.md,
"Where an idle socket's memory goes")."""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator, Mapping

import orjson
import socketio
from aiohttp import web

from realtime.connections import register_connection_handlers
from realtime.directory import KnownUsers
from realtime.fanout import Fanout
from realtime.presence import PresenceReporter
from realtime.presence_audience import PresenceAudience
from realtime.presence_push import PresencePush
from realtime.settings import RealtimeSettings
from realtime.socket_manager import IndexedManager
from realtime.sockets import SocketSessions
from realtime.transport import refuse_compression
from realtime.typing_relay import TypingRelay
from realtime.user_push import UserPush
from shared.bus import Bus
from shared.gc_tuning import freeze_startup_objects, space_out_full_collections
from shared.logging import configure_logging
from shared.media_urls import MediaSigner
from shared.sessions import Revocations, start_following
from shared.signals import TYPING
from shared.web import HealthCheck, check_health, liveness, readiness

SERVICE_TITLE = "Parley realtime node"
# Seconds a stopping node gives its sockets before closing them (clients reconnect to another node).
SHUTDOWN_SECONDS = 2.0


class _OrjsonPackets:
    """Socket.IO packet encoding with orjson; datetimes as ISO 8601 with ``Z``, exactly as the HTTP APIs write them."""

    @staticmethod
    def dumps(obj: object, *args: object, **kwargs: object) -> str:
        return orjson.dumps(obj, option=orjson.OPT_UTC_Z).decode()

    @staticmethod
    def loads(raw: str | bytes, *args: object, **kwargs: object) -> object:
        return orjson.loads(raw)


def create_app(settings: RealtimeSettings | None = None) -> web.Application:
    settings = settings or RealtimeSettings()
    configure_logging(settings.service_name, settings.log_level, settings.log_format)
    sio = socketio.AsyncServer(
        async_mode="aiohttp",
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

    async def lifespan(app: web.Application) -> AsyncIterator[None]:
        subscribed = False

        async def subscribe() -> None:
            nonlocal subscribed
            # Plain subscriptions, so every node gets every event; the client renews them after a reconnect.
            if not subscribed:
                subscribed = True
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

    checks = _health_checks(bus, revocations)

    async def healthz(request: web.Request) -> web.Response:
        """Liveness: the process answers; dependency states are reported but do not fail it."""
        return web.json_response(liveness(SERVICE_TITLE, await check_health(checks)))

    async def readyz(request: web.Request) -> web.Response:
        """Readiness: 200 while NATS is connected and sessions are followed, else 503 naming what is not."""
        body, status = readiness(await check_health(checks))
        return web.json_response(body, status=status)

    refuse_compression(sio)
    app = web.Application()
    sio.attach(app, socketio_path="socket.io")
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.cleanup_ctx.append(lifespan)
    return app


def _health_checks(bus: Bus, revocations: Revocations) -> Mapping[str, HealthCheck]:
    async def nats() -> None:
        if not bus.ready:
            raise ConnectionError("NATS not connected")

    return {"nats": nats, "sessions": revocations.health}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="A Parley realtime node.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=None, help="default: PARLEY_PORT, else 8003")
    args = parser.parse_args(argv)
    settings = RealtimeSettings()
    web.run_app(
        create_app(settings),
        host=args.host,
        port=args.port if args.port is not None else settings.port,
        access_log=None,
        print=None,
        shutdown_timeout=SHUTDOWN_SECONDS,
    )

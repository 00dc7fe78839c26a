"""A realtime node: python-socketio on ASGI, fed by NATS."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

import orjson
import socketio
from fastapi import FastAPI, Request

from realtime.connections import register_connection_handlers
from realtime.fanout import Fanout
from realtime.settings import RealtimeSettings
from shared.bus import Bus
from shared.logging import configure_logging
from shared.web import HealthCheck, health_router


class _OrjsonPackets:
    """Socket.IO packet encoding with orjson (datetimes become ISO strings)."""

    @staticmethod
    def dumps(obj: object, *args: object, **kwargs: object) -> str:
        return orjson.dumps(obj).decode()

    @staticmethod
    def loads(raw: str | bytes, *args: object, **kwargs: object) -> object:
        return orjson.loads(raw)


def create_app(settings: RealtimeSettings | None = None) -> socketio.ASGIApp:
    settings = settings or RealtimeSettings()
    configure_logging(settings.service_name, settings.log_level, settings.log_format)
    sio = socketio.AsyncServer(
        async_mode="asgi",
        cors_allowed_origins=settings.origins,  # a browser from any other Origin is refused
        json=_OrjsonPackets,
        ping_interval=settings.ping_interval,
        ping_timeout=settings.ping_timeout,
    )
    register_connection_handlers(sio, settings)
    fanout = Fanout(sio)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        bus = Bus(settings, name=f"{settings.service_name}-{settings.node_id}")
        app.state.bus = bus

        async def subscribe() -> None:
            # (Re)subscribed on every (re)connect: a plain subscription, so every node gets every event.
            if getattr(app.state, "subscription", None) is None:
                app.state.subscription = await bus.subscribe_live(fanout.on_bus_message)

        bus.on_ready.append(subscribe)
        bus.start()
        try:
            yield
        finally:
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

    return {"nats": nats}

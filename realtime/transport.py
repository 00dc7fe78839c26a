"""A realtime node's web-socket transport: Engine.IO's aiohttp one, without per-message compression.

Every browser offers permessage-deflate, and aiohttp accepts it unless the response is made with
``compress=False``; a compressed socket keeps a compressor and a decompressor, about twice an idle socket's memory,
to save little on packets of a few hundred bytes of JSON. python-engineio makes that response itself, and chooses
its transport class from its driver's table, which has no public setting: ``refuse_compression`` puts this class
there. tests/e2e/test_realtime.py fails if a node ever accepts compression again.

(Taking the offer out of each request instead, in a middleware, works through public APIs only, but a cloned request
per socket cost 4 KiB more per idle socket: docs/perf.md.)
"""

from __future__ import annotations

from typing import Any

import socketio
from aiohttp import web
from engineio.async_drivers import aiohttp as aiohttp_driver


class UncompressedWebSocket(aiohttp_driver.WebSocket):  # type: ignore[misc]
    async def __call__(self, environ: dict[str, Any]) -> web.WebSocketResponse:
        request: web.Request = environ["aiohttp.request"]
        self._sock = web.WebSocketResponse(max_msg_size=self.server.max_http_buffer_size, compress=False)
        await self._sock.prepare(request)
        self.environ = environ
        await self.handler(self)
        return self._sock


def refuse_compression(sio: socketio.AsyncServer) -> None:
    """Serve ``sio``'s web sockets (async_mode "aiohttp") without per-message compression."""
    drivers: dict[str, Any] = sio.eio._async
    sio.eio._async = {**drivers, "websocket": UncompressedWebSocket}

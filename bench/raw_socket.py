"""A Socket.IO client cut down to what a load generator needs: one websocket, the handshake with a token, pongs.

Thousands of python-socketio clients in one process measure that process more than the server: each decodes every
packet it is sent and runs a task per event, and in a storm where every socket hears every presence change the
bench process falls behind, misses its pings and drops sockets. These clients count the packets they are sent and
decode nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import json

import aiohttp

# Engine.IO v4 packet types (text frames), and Socket.IO's inside a "message".
_OPEN, _PING, _PONG, _MESSAGE = "0", "2", "3", "4"
_SIO_CONNECT, _SIO_EVENT, _SIO_CONNECT_ERROR = "0", "2", "4"


class SocketRefused(Exception):
    """The server refused the Socket.IO connection (a bad token, an unknown user)."""


class RawSocket:
    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.received = 0  # packets other than pings
        self._reader: asyncio.Task[None] | None = None

    @classmethod
    async def connect(
        cls, session: aiohttp.ClientSession, base_url: str, token: str, *, origin: str = "http://localhost:8080"
    ) -> RawSocket:
        url = base_url.replace("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket"
        ws = await session.ws_connect(url, headers={"Origin": origin}, autoping=False, max_msg_size=0)
        try:
            opened = await ws.receive_str()
            if not opened.startswith(_OPEN):
                raise SocketRefused(f"expected an Engine.IO open packet, got {opened[:80]!r}")
            await ws.send_str(_MESSAGE + _SIO_CONNECT + json.dumps({"token": token}))
            while True:  # a ping may come before the answer on a loaded server
                answer = await ws.receive_str()
                if answer == _PING:
                    await ws.send_str(_PONG)
                    continue
                if answer.startswith(_MESSAGE + _SIO_CONNECT_ERROR):
                    raise SocketRefused(answer[2:200])
                if not answer.startswith(_MESSAGE + _SIO_CONNECT):
                    raise SocketRefused(f"expected a Socket.IO connect answer, got {answer[:80]!r}")
                break
        except BaseException:
            await ws.close()
            raise
        socket = cls(ws)
        socket._reader = asyncio.get_running_loop().create_task(socket._read())
        return socket

    async def emit(self, event: str, data: object) -> None:
        """Send a Socket.IO event (no acknowledgement asked)."""
        await self.ws.send_str(_MESSAGE + _SIO_EVENT + json.dumps([event, data]))

    async def _read(self) -> None:
        async for msg in self.ws:
            if msg.type is not aiohttp.WSMsgType.TEXT:
                continue
            if msg.data == _PING:
                await self.ws.send_str(_PONG)
            else:
                self.received += 1

    async def close(self) -> None:
        await self.ws.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader

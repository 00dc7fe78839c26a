"""A service's first request, made by the service itself before it listens.

The first send a restarted command API served took about 3 ms longer than the next ones before its route's code
even ran (dependencies, body, validation), on top of the send's own 7 to 8 ms; one request through the same route
beforehand removed it (docs/perf.md). Code a process has not run yet runs slower (CPython specialises bytecode as it
runs it, and libraries set things up on first use), so the service pays that itself, in its lifespan, with a request
that changes nothing.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from starlette.types import ASGIApp, Message

log = logging.getLogger(__name__)

REQUEST_ID = "warm-up"


async def warm_up(app: ASGIApp, method: str, path: str, *, headers: Mapping[str, str], body: Any) -> int:
    """Send one JSON request through ``app`` in-process (its whole middleware stack); returns the status."""
    payload = json.dumps(body).encode()
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(payload)).encode()),
            (b"x-request-id", REQUEST_ID.encode()),
            *((name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()),
        ],
        "client": ("127.0.0.1", 0),
        "server": ("127.0.0.1", 0),
    }
    delivered = False
    status = 0

    async def receive() -> Message:
        nonlocal delivered
        if delivered:
            return {"type": "http.disconnect"}
        delivered = True
        return {"type": "http.request", "body": payload, "more_body": False}

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = int(message["status"])

    await app(scope, receive, send)
    return status

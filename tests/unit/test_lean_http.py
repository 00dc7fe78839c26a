"""The benchmarks' lean HTTP client against a real local server: queries, JSON bodies, headers, and a kept-alive
connection that the server dropped."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from bench.lean_http import LeanHttp


class Echo(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as uvicorn does

    def _answer(self, body: dict[str, Any], status: int = 200) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self._answer({"path": self.path, "auth": self.headers.get("Authorization")})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        sent = json.loads(self.rfile.read(length))
        self._answer({"sent": sent, "type": self.headers.get("Content-Type")}, status=201 if sent else 422)
        if sent.get("then_close"):
            self.close_connection = True

    def log_message(self, *_: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_get_with_a_query_and_headers(server: str) -> None:
    with LeanHttp() as http:
        answer = http.get(f"{server}/api/users", params={"q": "Zoë Ünal", "limit": 5}, headers={"Authorization": "x"})
        assert answer.status_code == 200
        assert answer.json() == {"path": "/api/users?q=Zo%C3%AB+%C3%9Cnal&limit=5", "auth": "x"}


def test_post_json_and_errors(server: str) -> None:
    with LeanHttp() as http:
        created = http.post(f"{server}/api/messages", json={"text": "héllo"})
        assert created.status_code == 201
        assert created.json() == {"sent": {"text": "héllo"}, "type": "application/json"}
        refused = http.post(f"{server}/api/messages", json={})
        with pytest.raises(RuntimeError, match="422"):
            refused.raise_for_status()


def test_a_connection_the_server_closed_is_opened_again(server: str) -> None:
    with LeanHttp() as http:
        assert http.post(f"{server}/x", json={"then_close": True}).status_code == 201
        # The kept connection is gone: the next request goes on a new one.
        assert http.get(f"{server}/after").json()["path"] == "/after"

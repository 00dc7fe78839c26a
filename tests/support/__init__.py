"""Test support: real FerretDB, NATS and Parley processes on free ports, with polling waits."""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx

ROOT = Path(__file__).resolve().parents[2]  # the repository: this file is tests/support/__init__.py
BIN = ROOT / "bin"
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(predicate: Callable[[], bool], *, timeout: float = 15.0, interval: float = 0.05, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise TimeoutError(f"timed out waiting for {what or predicate}")


async def holds(condition: bool) -> bool:
    """A condition already computed, as the awaitable ``eventually`` polls: ``eventually(lambda: holds(x > 1))``."""
    return condition


async def eventually(
    probe: Callable[[], Awaitable[T | None]],
    *,
    timeout: float = 15.0,
    interval: float = 0.05,
    what: str = "",
) -> T:
    """Poll ``probe`` until it returns something truthy, with a deadline (never a bare sleep)."""
    deadline = time.monotonic() + timeout
    while True:
        value = await probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what or probe}")
        await asyncio.sleep(interval)


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class Process:
    """A child process with its output in a log file, stopped cleanly or killed."""

    name: str
    args: list[str]
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)
    cwd: Path = ROOT
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Process:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            self.args, cwd=self.cwd, env={**os.environ, **self.env}, stdout=log, stderr=subprocess.STDOUT
        )
        log.close()
        return self

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout: float = 10.0) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return ""


def wait_for_port(process: Process, port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_open(port):
            return
        if not process.running:
            raise RuntimeError(f"{process.name} exited:\n{process.tail()}")
        time.sleep(0.05)
    raise TimeoutError(f"{process.name} did not listen on {port}:\n{process.tail()}")


class FerretDB:
    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        data = workdir / "ferretdb"
        data.mkdir(parents=True, exist_ok=True)
        self.url = f"mongodb://127.0.0.1:{self.port}"
        self.process = Process(
            "ferretdb",
            [str(ROOT / "scripts" / "run-ferretdb.sh"), str(data), str(self.port), "127.0.0.1:0"],
            workdir / "ferretdb.log",
        )

    def start(self) -> None:
        self.process.start()
        wait_for_port(self.process, self.port)

    def stop(self) -> None:
        self.process.stop()


class NatsServer:
    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.store = workdir / f"nats-{self.port}"
        self.url = f"nats://127.0.0.1:{self.port}"
        self.process = self._process(workdir)

    def _process(self, workdir: Path) -> Process:
        return Process(
            "nats",
            [
                str(BIN / "nats-server"),
                "--jetstream",
                "--store_dir",
                str(self.store),
                "--addr",
                "127.0.0.1",
                "--port",
                str(self.port),
            ],
            workdir / f"nats-{self.port}.log",
        )

    def start(self) -> None:
        self.process.start()
        wait_for_port(self.process, self.port)

    def stop(self) -> None:
        self.process.stop()

    def restart(self) -> None:
        self.stop()
        self.process = self._process(self.process.log_path.parent)
        self.start()

    def remove_data(self) -> None:
        shutil.rmtree(self.store, ignore_errors=True)


@dataclass
class Infra:
    ferretdb: FerretDB
    nats: NatsServer
    workdir: Path


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:10]}"


# As supervisord.conf and the compose files start a realtime node: without per-message compression, which browsers
# offer and which doubled a node's memory per socket (tests/unit/test_compose.py checks those files).
REALTIME_OPTIONS = ("--ws-per-message-deflate", "false")


@dataclass
class Stack:
    """Parley's four services as real processes against the test FerretDB and a NATS server."""

    infra: Infra
    nats: NatsServer
    name: str = field(default_factory=lambda: unique("t"))
    realtime_nodes: int = 1
    extra_env: dict[str, str] = field(default_factory=dict)
    # Every stack signs with keys of its own, made at random: no test relies on a known secret.
    jwt_secret: str = field(default_factory=lambda: secrets.token_hex(32))
    media_url_key: str = field(default_factory=lambda: secrets.token_hex(32))
    processes: list[Process] = field(default_factory=list)
    ports: dict[str, int] = field(default_factory=dict)
    # The web gateway as shipped (gateway/Caddyfile) in front: the APIs are then reached through it, as people do.
    gateway: bool = False
    gateway_process: Process | None = None

    @property
    def env(self) -> dict[str, str]:
        return {
            "PARLEY_ENV": "test",
            "PARLEY_MONGODB_URL": self.infra.ferretdb.url,
            "PARLEY_MONGODB_DB": self.name,
            "PARLEY_NATS_URL": self.nats.url,
            "PARLEY_NATS_STREAM": self.name.upper(),
            "PARLEY_SUBJECT_PREFIX": f"{self.name}.events",
            "PARLEY_LIVE_SUBJECT_PREFIX": f"{self.name}.live",
            "PARLEY_JWT_SECRET": self.jwt_secret,
            "PARLEY_MEDIA_URL_KEY": self.media_url_key,
            "PARLEY_BCRYPT_ROUNDS": "4",
            "PARLEY_LOG_LEVEL": "INFO",
            "PARLEY_PING_INTERVAL": "5",
            # Presence on a test's time scale: 1 s grace, 1 s heartbeats, nodes expired after 4 s of silence.
            "PARLEY_PRESENCE_GRACE_SECONDS": "1",
            "PARLEY_HEARTBEAT_SECONDS": "1",
            "PARLEY_NODE_TIMEOUT_SECONDS": "4",
            # A sign-up's presence goes to every socket for 2 s (realtime/presence_push.py), not 10.
            "PARLEY_PRESENCE_NEWCOMER_SECONDS": "2",
            "PARLEY_PING_TIMEOUT": "5",
            # Uploads of this stack's command API, served by its query API; never the repo's .data/media.
            "PARLEY_MEDIA_DIR": str(self.infra.workdir / f"{self.name}-media"),
            # Every test signs its people up from 127.0.0.1; the sign-up limit has its own test.
            "PARLEY_SIGNUPS_PER_HOUR": "1000000",
            "PYTHONUNBUFFERED": "1",
            **self.extra_env,
        }

    def url(self, service: str) -> str:
        """Where a client reaches ``service``: the command and query APIs through the gateway when there is one;
        a realtime node directly (tests choose the node)."""
        if self.gateway and service in ("command", "query"):
            return self.direct("gateway")
        return self.direct(service)

    def direct(self, service: str) -> str:
        """The service's own address (its health endpoints, the gateway's upstreams)."""
        return f"http://127.0.0.1:{self.ports[service]}"

    def _uvicorn(
        self, service: str, module: str, port: int, env: dict[str, str] | None = None, options: tuple[str, ...] = ()
    ) -> Process:
        return Process(
            service,
            [
                sys.executable,
                "-m",
                "uvicorn",
                f"{module}:create_app",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                *options,
            ],
            self.infra.workdir / f"{self.name}-{service}.log",
            env={**self.env, **(env or {})},
        )

    def start(self, *, ready_timeout: float = 30.0) -> Stack:
        self.ports["command"] = free_port()
        self.ports["query"] = free_port()
        self.ports["projector"] = free_port()
        self.processes = [
            self._uvicorn("command", "command_api.main", self.ports["command"]),
            self._uvicorn("query", "query_api.main", self.ports["query"]),
            Process(
                "projector",
                [sys.executable, "-m", "projector"],
                self.infra.workdir / f"{self.name}-projector.log",
                env={**self.env, "PARLEY_HEALTH_PORT": str(self.ports["projector"])},
            ),
        ]
        for i in range(self.realtime_nodes):
            key = "realtime" if i == 0 else f"realtime{i + 1}"
            self.ports[key] = free_port()
            self.processes.append(
                self._uvicorn(key, "realtime.main", self.ports[key], {"PARLEY_NODE_ID": key}, REALTIME_OPTIONS)
            )
        for p in self.processes:
            p.start()
        try:
            for p in self.processes:
                self.wait_ready(p.name, timeout=ready_timeout)
            if self.gateway:
                self.ports["gateway"] = free_port()
                web_root = ROOT / "frontend" / "dist"
                self.gateway_process = gateway_process(self, self.ports["gateway"], web_root, self.infra.workdir)
                wait_for_port(self.gateway_process.start(), self.ports["gateway"])
        except BaseException:
            self.stop()  # no service outlives a stack that failed to start
            raise
        return self

    def process(self, name: str) -> Process:
        return next(p for p in self.processes if p.name == name)

    def wait_ready(self, name: str, timeout: float = 60.0) -> None:
        port = self.ports[name]
        process = self.process(name)

        def ready() -> bool:
            if not process.running:
                raise RuntimeError(f"{name} exited:\n{process.tail()}")
            try:
                return httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        try:
            wait_until(ready, timeout=timeout, what=f"{name} ready")
        except TimeoutError:
            raise TimeoutError(f"{name} not ready:\n{process.tail()}") from None

    def stop(self) -> None:
        if self.gateway_process is not None:
            self.gateway_process.stop(timeout=5)
        for p in self.processes:
            if p.running and p.proc is not None:
                p.proc.send_signal(signal.SIGTERM)
        for p in self.processes:
            p.stop(timeout=5)


async def register(client: httpx.AsyncClient, stack: Stack, name: str = "Test User", **kw: Any) -> dict[str, Any]:
    """Register a fresh user; returns the response body (user, access_token)."""
    body = {"name": name, "email": f"{unique('u')}@example.com", "password": "correct horse battery", **kw}
    response = await client.post(f"{stack.url('command')}/api/auth/register", json=body)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    result["password"] = body["password"]
    return result


async def sidebar(client: httpx.AsyncClient, stack: Stack, token: str) -> list[dict[str, Any]]:
    """Every page of ``GET /api/users`` (the sidebar), in order."""
    people: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 100, **({"cursor": cursor} if cursor else {})}
        response = await client.get(f"{stack.url('query')}/api/users", params=params, headers=bearer(token))
        response.raise_for_status()
        page = response.json()
        people += page["users"]
        cursor = page["next_cursor"]
        if cursor is None:
            return people


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def send_text(
    client: httpx.AsyncClient,
    stack: Stack,
    sender: dict[str, Any],
    to: str,
    text: str,
    client_msg_id: str | None = None,
) -> httpx.Response:
    return await client.post(
        f"{stack.url('command')}/api/messages",
        json={"to": to, "type": "text", "text": text, "client_msg_id": client_msg_id or uuid.uuid4().hex},
        headers=bearer(sender["access_token"]),
    )


def received(socket: Any, event: str) -> list[Any]:
    """Payloads of ``event`` a test socket has received so far."""
    return [data for name, data in socket.received if name == event]


def presence_changes(socket: Any) -> list[dict[str, Any]]:
    """Every presence change a test socket has heard, in order, whether pushed alone or in a batch."""
    changes: list[dict[str, Any]] = []
    for name, data in socket.received:
        if name == "presence":
            changes.append(data)
        elif name == "presences":
            changes.extend(data["changes"])
    return changes


async def parley(stack: Stack, *args: str, timeout: float = 150) -> tuple[int, str, str]:
    """Run the `parley` command against the stack; returns (exit status, stdout, stderr)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "parley_cli.main",
        *args,
        env={**os.environ, **stack.env, "PARLEY_LOG_LEVEL": "WARNING"},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=timeout)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def logins_claiming_other_addresses(base_url: str, attempts: int = 5) -> list[int]:
    """Failed logins through a gateway, each claiming another client address: their status codes. A gateway that
    sets the address it sees (rather than passing the claim on) gets them counted against one address."""
    codes = []
    for i in range(attempts):
        response = httpx.post(
            f"{base_url}/api/auth/login",
            json={"email": f"{uuid.uuid4().hex[:12]}@example.com", "password": "wrong password"},
            headers={"X-Forwarded-For": f"203.0.113.{i + 1}", "X-Real-IP": f"203.0.113.{i + 1}"},
            timeout=10,
        )
        codes.append(response.status_code)
    return codes


def post_announcing(url: str, path: str, length: int, sent: int) -> tuple[int, bytes, float]:
    """POST announcing ``length`` bytes and sending ``sent`` of them: the status line and body, and how long."""
    host, port = url.removeprefix("http://").split(":")
    started = time.perf_counter()
    with socket.create_connection((host, int(port)), timeout=10) as conn:
        conn.sendall(
            f"POST {path} HTTP/1.1\r\nHost: localhost:8080\r\nContent-Type: application/octet-stream\r\n"
            f"Content-Length: {length}\r\n\r\n".encode()
        )
        try:
            conn.sendall(b"x" * sent)
        except OSError:
            pass  # refused part-way: the answer is still there to read
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            chunk = conn.recv(65536)
            if not chunk:
                break
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split()[1]), body, time.perf_counter() - started


CADDY = ROOT / "bin" / "caddy"


def gateway_process(stack: Stack, port: int, web_root: Path, workdir: Path) -> Process:
    """The web gateway as shipped (gateway/Caddyfile, bin/caddy) on 127.0.0.1:``port`` before ``stack``'s
    services and every one of its realtime nodes, serving the client in ``web_root``."""
    nodes = sorted(name for name in stack.ports if name.startswith("realtime"))
    env = {
        "PARLEY_GATEWAY_PORT": str(port),
        "PARLEY_GATEWAY_BIND": "127.0.0.1",
        "PARLEY_COMMAND_UPSTREAMS": stack.direct("command").removeprefix("http://"),
        "PARLEY_QUERY_UPSTREAMS": stack.direct("query").removeprefix("http://"),
        "PARLEY_REALTIME_UPSTREAMS": " ".join(stack.direct(n).removeprefix("http://") for n in nodes),
        "PARLEY_WEB_ROOT": str(web_root),
        # Caddy's own data and config, not the user's.
        "XDG_DATA_HOME": str(workdir / "caddy"),
        "XDG_CONFIG_HOME": str(workdir / "caddy"),
    }
    command = [str(CADDY), "run", "--config", str(ROOT / "gateway" / "Caddyfile"), "--adapter", "caddyfile"]
    return Process(f"{stack.name}-gateway", command, workdir / f"{stack.name}-gateway.log", env=env)

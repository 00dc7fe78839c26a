"""Parley's services as real processes (the command and query APIs, the projector, realtime nodes) on free ports,
optionally behind the web gateway."""

from __future__ import annotations

import secrets
import signal
import sys
import uuid
from dataclasses import dataclass, field

import httpx

from shared.settings import Settings
from tests.support.gateway import gateway_process
from tests.support.infra import Infra, NatsServer
from tests.support.processes import ROOT, Process, free_port, wait_for_port, wait_until


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def bus_settings(nats_url: str, prefix: str = "bus") -> Settings:
    """Settings of a bus of its own on the session's NATS: a stream and subjects no other test uses."""
    name = unique(prefix)
    return Settings(nats_url=nats_url, nats_stream=name.upper(), subject_prefix=f"{name}.events")


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

    def realtime_node(self, key: str, port: int, env: dict[str, str] | None = None) -> Process:
        """A realtime node as supervisord.conf and the compose files start one (``python -m realtime``, on aiohttp)."""
        return Process(
            key,
            [sys.executable, "-m", "realtime", "--host", "127.0.0.1", "--port", str(port)],
            self.infra.workdir / f"{self.name}-{key}.log",
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
            self.processes.append(self.realtime_node(key, self.ports[key], {"PARLEY_NODE_ID": key}))
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

"""`make up`'s runner (scripts/run-all.sh, supervisord.conf): a process that dies is started again, the rest stay;
the built client and every service are served through the gateway, with two realtime nodes.

Runs the real runner on free ports and a data directory of its own, with its own FerretDB and NATS.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.support import ROOT, free_port, port_open, post_announcing, wait_until


@dataclass
class Runner:
    process: subprocess.Popen[bytes]
    env: dict[str, str]
    log: Path

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.env[f'PARLEY_{service.upper()}_PORT']}"

    def pid(self, program: str) -> int:
        out = subprocess.run(
            [str(ROOT / ".venv" / "bin" / "supervisorctl"), "-c", str(ROOT / "supervisord.conf"), "pid", program],
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        return int(out.strip())


def ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/readyz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture
def runner(tmp_path: Path) -> Iterator[Runner]:
    ports = {
        name: str(free_port())
        for name in ("FERRETDB", "NATS", "NATS_HTTP", "COMMAND", "QUERY", "REALTIME", "REALTIME2", "HEALTH", "WEB")
    }
    env = {
        **os.environ,
        "PARLEY_DATA": str(tmp_path / "data"),
        **{f"PARLEY_{name}_PORT": port for name, port in ports.items()},
        "PARLEY_FERRETDB_DEBUG_ADDR": "127.0.0.1:0",
        "PARLEY_JWT_SECRET": os.urandom(32).hex(),
        "PARLEY_MEDIA_URL_KEY": os.urandom(32).hex(),
        "PARLEY_MEDIA_DIR": str(tmp_path / "media"),
        "PARLEY_LOG_LEVEL": "WARNING",
    }
    log = tmp_path / "run-all.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [str(ROOT / "scripts" / "run-all.sh")], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    running = Runner(process, env, log)
    try:
        yield running
    finally:
        process.send_signal(signal.SIGINT)  # Ctrl-C
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        wait_until(lambda: not any(port_open(int(p)) for p in ports.values()), timeout=15, what="every port closed")


def test_a_service_that_dies_is_started_again_and_the_others_keep_running(runner: Runner) -> None:
    def all_ready() -> bool:
        return all(ready(runner.url(s)) for s in ("command", "query", "realtime"))

    wait_until(all_ready, timeout=90, what=f"the stack ready:\n{runner.log.read_text(errors='replace')[-3000:]}")
    crashed = runner.pid("command_api")
    query = runner.pid("query_api")
    os.kill(crashed, signal.SIGKILL)  # a crash, not a stop
    died_at = time.monotonic()
    wait_until(lambda: not ready(runner.url("command")), timeout=10, what="the command API down")
    wait_until(lambda: ready(runner.url("command")), timeout=30, what="the command API started again")
    assert time.monotonic() - died_at < 30
    assert runner.pid("command_api") != crashed
    assert runner.pid("query_api") == query and ready(runner.url("query"))  # nobody else was stopped
    assert runner.process.poll() is None  # the runner itself carries on


def test_the_built_client_and_the_services_are_served_through_the_gateway(runner: Runner) -> None:
    def all_ready() -> bool:
        return all(ready(runner.url(s)) for s in ("command", "query", "realtime", "realtime2"))

    wait_until(all_ready, timeout=90, what=f"the stack ready:\n{runner.log.read_text(errors='replace')[-3000:]}")
    gateway = runner.url("web")
    wait_until(lambda: port_open(int(runner.env["PARLEY_WEB_PORT"])), timeout=30, what="the gateway listening")
    page = httpx.get(gateway, timeout=10)
    assert page.status_code == 200 and "/@vite/client" not in page.text and '<script type="module"' in page.text
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert httpx.get(f"{gateway}/api/me", timeout=10).status_code == 401  # the query API, through the gateway
    assert httpx.get(f"{gateway}/socket.io/?EIO=4&transport=polling", timeout=10).status_code == 200
    status, body, seconds = post_announcing(gateway, "/api/uploads", 26 * 1024 * 1024, 1024 * 1024)
    assert status == 413 and b'"detail"' in body and seconds < 5

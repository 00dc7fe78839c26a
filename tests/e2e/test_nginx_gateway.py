"""The compose gateway's own config (frontend/nginx.conf), run by a local nginx in front of a test stack: it sets
the client's address instead of appending to what the client sent (issue 10, item 4), and sends the security
headers (item 11). Only the backend addresses are rewritten for the test; everything else is the file as shipped.

Needs an nginx binary (Debian's nginx-light; `make test` installs it); skipped without one.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support import ROOT, Infra, Process, Stack, free_port, logins_claiming_other_addresses, wait_for_port

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
pytestmark = pytest.mark.skipif(NGINX is None, reason="no nginx binary")


def _config(stack: Stack, port: int, workdir: Path) -> Path:
    site = (ROOT / "frontend" / "nginx.conf").read_text()
    site = site.replace("listen 8080;", f"listen 127.0.0.1:{port};")
    site = re.sub(r"\n\s*resolver [^;]*;", "\n", site)  # the backends are addresses here, not Docker names
    for name, service in (("command_api", "command"), ("query_api", "query"), ("realtime", "realtime")):
        site = re.sub(rf"http://{name}:\d+;", f"{stack.url(service)};", site)
    site = site.replace("/etc/nginx/snippets/security-headers.conf", str(ROOT / "frontend" / "security-headers.conf"))
    site = site.replace("root /usr/share/nginx/html;", f"root {ROOT / 'frontend'};")  # its index.html will do
    (workdir / "logs").mkdir(parents=True, exist_ok=True)
    (workdir / "site.conf").write_text(site)
    main = workdir / "nginx.conf"
    main.write_text(
        f"daemon off;\npid {workdir}/nginx.pid;\nerror_log {workdir}/logs/error.log;\nevents {{}}\n"
        f"http {{\n  access_log off;\n  client_body_temp_path {workdir}/body;\n  proxy_temp_path {workdir}/proxy;\n"
        f"  include {workdir}/site.conf;\n}}\n"
    )
    return main


@pytest.fixture(scope="module")
def gateway(infra: Infra, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """nginx with the shipped config in front of a stack allowing three failed logins per client address."""
    stack = Stack(infra, infra.nats, extra_env={"PARLEY_LOGIN_ADDRESS_LIMIT": "3"}).start()
    workdir = tmp_path_factory.mktemp("nginx")
    port = free_port()
    config = _config(stack, port, workdir)
    assert NGINX is not None
    subprocess.run([NGINX, "-t", "-p", str(workdir), "-c", str(config)], check=True, capture_output=True)
    nginx = Process("nginx", [NGINX, "-p", str(workdir), "-c", str(config)], workdir / "nginx.out").start()
    try:
        wait_for_port(nginx, port)
        yield f"http://127.0.0.1:{port}"
    finally:
        nginx.stop()
        stack.stop()


def test_a_client_cannot_choose_its_address_through_nginx(gateway: str) -> None:
    assert logins_claiming_other_addresses(gateway) == [401] * 3 + [429] * 2


def test_nginx_sends_the_security_headers(gateway: str) -> None:
    for path in ("/", "/api/users"):
        response = httpx.get(f"{gateway}{path}", timeout=10)
        policy = response.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in policy and "script-src 'self';" in policy, path
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "no-referrer"

"""The compose files, checked without a Docker engine: against the Compose Specification's schema (check-jsonschema's
copy of it), and for what Parley needs of them: the gateway built from gateway/Dockerfile with the one Caddyfile and
pointed at services that exist, the fixed address the services trust, and in the cluster file the replicated stores
and two of each stateless service."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support import ROOT

FILES = ["compose.yaml", "compose.cluster.yaml"]


def validate(*paths: Path) -> subprocess.CompletedProcess[str]:
    checker = Path(sys.executable).parent / "check-jsonschema"
    command = [str(checker), "--builtin-schema", "vendor.compose-spec", *map(str, paths)]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def load(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / name).read_text())
    return loaded


def test_the_compose_files_follow_the_specification() -> None:
    checked = validate(*(ROOT / name for name in FILES))
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_check_finds_a_mistake(tmp_path: Path) -> None:
    broken = load("compose.yaml")
    broken["services"]["web"]["restart"] = ["always"]  # a list where the spec wants a string
    (tmp_path / "compose.yaml").write_text(yaml.safe_dump(broken))
    assert validate(tmp_path / "compose.yaml").returncode != 0


@pytest.mark.parametrize("name", FILES)
def test_the_gateway_is_the_shipped_one_before_services_that_exist(name: str) -> None:
    compose = load(name)
    services = compose["services"]
    web = services["web"]
    assert web["build"] == {"context": ".", "dockerfile": "gateway/Dockerfile"}
    assert "COPY gateway/Caddyfile /etc/caddy/Caddyfile" in (ROOT / "gateway" / "Dockerfile").read_text()
    upstreams = [
        address
        for key in ("PARLEY_COMMAND_UPSTREAMS", "PARLEY_QUERY_UPSTREAMS", "PARLEY_REALTIME_UPSTREAMS")
        for address in web["environment"][key].split()
    ]
    assert upstreams and all(address.split(":")[0] in services for address in upstreams), upstreams
    trusted = compose["x-parley-env"]["FORWARDED_ALLOW_IPS"]
    assert web["networks"]["default"]["ipv4_address"] == trusted


def test_the_cluster_replicates_the_stores_and_doubles_the_services() -> None:
    compose = load("compose.cluster.yaml")
    env = compose["x-parley-env"]
    assert "replicaSet=rs0" in env["PARLEY_MONGODB_URL"] and env["PARLEY_MONGODB_WRITE_CONCERN"] == "majority"
    assert env["PARLEY_MONGODB_JOURNAL"] == "true" and env["PARLEY_NATS_STREAM_REPLICAS"] == "3"
    services = compose["services"]
    assert {f"mongo{i}" for i in (1, 2, 3)} | {f"nats{i}" for i in (1, 2, 3)} <= set(services)
    for service in ("command_api", "query_api", "realtime"):
        assert {f"{service}_1", f"{service}_2"} <= set(services), service
    web = services["web"]["environment"]
    assert len(web["PARLEY_COMMAND_UPSTREAMS"].split()) == 2 and len(web["PARLEY_REALTIME_UPSTREAMS"].split()) == 2


def realtime_commands() -> list[str]:
    """Every command line that starts a realtime node: supervisord's (make up) and each compose file's."""
    conf = (ROOT / "supervisord.conf").read_text().splitlines()
    commands = [line.split("=", 1)[1] for line in conf if line.startswith("command=") and "realtime" in line]
    for name in FILES:
        for key, service in load(name)["services"].items():
            command = service.get("command")
            if isinstance(command, str) and key.startswith("realtime"):
                commands.append(command)
    return commands


def test_every_realtime_node_runs_on_aiohttp() -> None:
    """A node is ``python -m realtime`` everywhere: the aiohttp server, which refuses per-message compression
    itself (tests/e2e/test_realtime.py), not uvicorn, which accepts it unless told not to."""
    commands = realtime_commands()
    assert len(commands) >= 4  # two in supervisord.conf, one in compose.yaml, the cluster's anchor
    for command in commands:
        assert "-m realtime " in command and "uvicorn" not in command, command

"""The web gateway as shipped (gateway/Caddyfile run by bin/caddy) in front of a stack's services."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from tests.support.processes import ROOT, Process

if TYPE_CHECKING:
    from tests.support.stack import Stack

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

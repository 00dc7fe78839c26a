"""Test support: real FerretDB, NATS and Parley processes on free ports, with polling waits.

The modules by job: processes (child processes, ports, waiting), infra (FerretDB, NATS), stack (Parley's services),
gateway (the web gateway before them), clients (what tests do against a running stack), memory_log (the in-memory
event log of the handlers' unit tests). Every name the tests and benchmarks import is here too.
"""

from tests.support.clients import (
    bearer,
    logins_claiming_other_addresses,
    parley,
    post_announcing,
    presence_changes,
    received,
    register,
    send_text,
    sidebar,
)
from tests.support.gateway import CADDY, gateway_process
from tests.support.infra import FerretDB, Infra, NatsServer
from tests.support.processes import (
    BIN,
    ROOT,
    Process,
    eventually,
    free_port,
    holds,
    port_open,
    wait_for_port,
    wait_until,
)
from tests.support.stack import Stack, bus_settings, unique

__all__ = [
    "BIN",
    "CADDY",
    "ROOT",
    "FerretDB",
    "Infra",
    "NatsServer",
    "Process",
    "Stack",
    "bearer",
    "bus_settings",
    "eventually",
    "free_port",
    "gateway_process",
    "holds",
    "logins_claiming_other_addresses",
    "parley",
    "port_open",
    "post_announcing",
    "presence_changes",
    "received",
    "register",
    "send_text",
    "sidebar",
    "unique",
    "wait_for_port",
    "wait_until",
]

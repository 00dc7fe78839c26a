"""Benchmark plumbing: a private stack, process CPU and memory from /proc, percentiles, machine details."""

from __future__ import annotations

import os
import platform
import secrets
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from tests.support import FerretDB, Infra, NatsServer, Process, Stack

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def bench_env(extra_env: dict[str, str] | None = None) -> dict[str, str]:
    """What a benchmark's services run with on top of the test stack's settings."""
    return {
        "PARLEY_LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "WARNING"),
        "PARLEY_MESSAGE_RATE": "10000",
        "PARLEY_MESSAGE_BURST": "10000",
        # A fresh secret per run: nothing signs with a secret anyone can read in the repository.
        "PARLEY_JWT_SECRET": secrets.token_hex(32),
        **(extra_env or {}),
    }


def start_stack(*, realtime_nodes: int = 1, extra_env: dict[str, str] | None = None) -> tuple[Stack, Infra]:
    workdir = Path(tempfile.mkdtemp(prefix="parley-bench-"))
    ferret, nats = FerretDB(workdir), NatsServer(workdir)
    ferret.start()
    nats.start()
    infra = Infra(ferretdb=ferret, nats=nats, workdir=workdir)
    stack = Stack(infra, nats, extra_env=bench_env(extra_env), realtime_nodes=realtime_nodes).start()
    return stack, infra


def stop_stack(stack: Stack, infra: Infra) -> None:
    stack.stop()
    infra.nats.stop()
    infra.ferretdb.stop()


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


@dataclass
class CpuMeter:
    """CPU used by each named process between start() and stop(), as a share of one core."""

    processes: dict[str, Process]

    def start(self) -> None:
        import time

        self._t0 = time.monotonic()
        self._c0 = {name: cpu_seconds(p.proc.pid) for name, p in self.processes.items() if p.proc}

    def stop(self) -> dict[str, float]:
        import time

        elapsed = time.monotonic() - self._t0
        return {
            name: (cpu_seconds(p.proc.pid) - self._c0[name]) / elapsed * 100
            for name, p in self.processes.items()
            if p.proc
        }


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def cpu_speed() -> float:
    """A fixed piece of Python work, in millions of loop steps per second of one core.

    The machines are shared and their speed drifts by tens of percent from one hour to the next; printed with each
    result, this tells a slow run from a slow machine.
    """
    best = 0.0
    for _ in range(3):
        start = time.perf_counter()
        total = 0
        for i in range(1_000_000):
            total += i & 7
        best = max(best, 1.0 / (time.perf_counter() - start))
    return best


def machine() -> str:
    cpu = "unknown cpu"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
    ferret = subprocess.run(["bin/ferretdb", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    return (
        f"{os.cpu_count()} cores ({cpu}), {int(mem) // 1024 // 1024} GiB RAM, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}, FerretDB {ferret.split()[-1]} (SQLite), "
        f"{subprocess.run(['bin/nats-server', '--version'], capture_output=True, text=True).stdout.strip()}, "
        f"CPU speed index {cpu_speed():.1f} (bench.common.cpu_speed)"
    )

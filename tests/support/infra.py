"""The infrastructure under test: a FerretDB and a NATS server, each a child process on a free port."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from tests.support.processes import BIN, ROOT, Process, free_port, wait_for_port


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

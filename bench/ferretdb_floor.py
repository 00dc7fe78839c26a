"""What FerretDB's own CPU costs per command and per document, apart from Parley: the floor under any design.

A private FerretDB (as the tests run it) and one collection of small documents; each kind of command is sent
sequentially, ``--count`` documents' worth at a time, and FerretDB's CPU (from /proc) and the wall time are divided
by the documents. A lone command shows the cost of a round trip; the batched forms show what each further document
adds. Usage: `.venv/bin/python -m bench.ferretdb_floor --count 2000 --rounds 2`.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from pymongo import AsyncMongoClient, ReplaceOne, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError

from bench.common import cpu_seconds, machine
from shared.mongo import BY_ID_CHUNK
from tests.support import FerretDB

Collection = AsyncCollection[dict[str, Any]]
# A document about the size of a stored message event's fields.
PAYLOAD = "y" * 300


def kinds(collection: Collection, ids: list[str]) -> dict[str, Callable[[], Awaitable[None]]]:
    """Each kind of command, as a run over every id (inserts make new documents; the rest use ``ids``)."""

    async def insert_one() -> None:
        for _ in ids:
            await collection.insert_one({"_id": uuid.uuid4().hex, "p": PAYLOAD})

    def insert_many(size: int) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            for _ in range(0, len(ids), size):
                await collection.insert_many([{"_id": uuid.uuid4().hex, "p": PAYLOAD} for _ in range(size)])

        return run

    async def upsert_one() -> None:
        for doc_id in ids:
            await collection.update_one({"_id": doc_id}, {"$set": {"p": PAYLOAD}}, upsert=True)

    def bulk(size: int, replace: bool) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            for start in range(0, len(ids), size):
                chunk = ids[start : start + size]
                ops: list[Any] = [
                    ReplaceOne({"_id": i}, {"p": PAYLOAD, "n": start}, upsert=True)
                    if replace
                    else UpdateOne({"_id": i}, {"$set": {"n": start}}, upsert=True)
                    for i in chunk
                ]
                await collection.bulk_write(ops, ordered=False)

        return run

    async def insert_half_present() -> None:
        # Inserts-if-absent: half of each batch is there already, refused by the unique _id and ignored.
        for start in range(0, len(ids), 10):
            docs = [{"_id": i} for i in ids[start : start + 5]] + [{"_id": uuid.uuid4().hex} for _ in range(5)]
            try:
                await collection.insert_many(docs, ordered=False)
            except BulkWriteError:
                pass

    async def find_one() -> None:
        for doc_id in ids:
            await collection.find_one({"_id": doc_id})

    async def find_in() -> None:
        for start in range(0, len(ids), 10):
            await collection.find({"_id": {"$in": ids[start : start + 10]}}).to_list()

    async def delete_in() -> None:
        for start in range(0, len(ids), 10):
            await collection.delete_many({"_id": {"$in": ids[start : start + 10]}})

    return {
        "insert_one": insert_one,
        "insert_many of 10": insert_many(10),
        "insert_many of 100": insert_many(100),
        "update_one by _id (upsert)": upsert_one,
        "10 updates by _id in one bulk_write": bulk(10, replace=False),
        f"{BY_ID_CHUNK} updates by _id in one bulk_write": bulk(BY_ID_CHUNK, replace=False),
        f"{BY_ID_CHUNK} replacements by _id in one bulk_write": bulk(BY_ID_CHUNK, replace=True),
        "insert_many of 10, half already there": insert_half_present,
        "find_one by _id": find_one,
        "find of 10 ids ($in)": find_in,
        "delete_many of 10 ids ($in)": delete_in,
    }


async def measure(url: str, pid: int, count: int, rounds: int) -> None:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(url)
    try:
        collection = client["floor"]["docs"]
        ids = [f"d{i}" for i in range(count)]
        print(f"{'command':44} {'FerretDB CPU per doc':>21} {'wall per doc':>13}")
        for turn in range(rounds):
            for name, run in kinds(collection, ids).items():
                cpu, wall = cpu_seconds(pid), time.perf_counter()
                await run()
                cpu, wall = cpu_seconds(pid) - cpu, time.perf_counter() - wall
                print(f"{name:44} {1000 * cpu / count:18.3f} ms {1000 * wall / count:10.3f} ms", flush=True)
            if turn + 1 < rounds:
                print("-- again (the collection is larger now)")
    finally:
        await client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=2000, help="documents per kind of command")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    workdir = Path(tempfile.mkdtemp(prefix="parley-floor-"))
    ferret = FerretDB(workdir)
    ferret.start()
    try:
        assert ferret.process.proc is not None
        asyncio.run(measure(ferret.url, ferret.process.proc.pid, args.count, args.rounds))
    finally:
        ferret.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()

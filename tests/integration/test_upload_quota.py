"""The daily upload quota against the real FerretDB: exact under concurrency, across processes, by ``_id`` only."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from command_api.quota import QuotaExceeded, UploadQuota


@pytest.fixture
async def db(mongo: AsyncMongoClient[dict[str, Any]], db_name: str) -> AsyncIterator[AsyncDatabase[dict[str, Any]]]:
    yield mongo[db_name]
    await mongo.drop_database(db_name)


async def _try(quota: UploadQuota, user: str, size: int) -> bool:
    try:
        await quota.reserve(user, size)
    except QuotaExceeded:
        return False
    return True


async def test_two_processes_uploading_at_once_never_pass_the_count(db: AsyncDatabase[dict[str, Any]]) -> None:
    # Two instances stand for two command API processes: neither knows what the other counted.
    first, second = (UploadQuota(db, max_count=7, max_bytes=10**9) for _ in range(2))
    results = await asyncio.gather(*(_try(q, "u1", 10) for q in [first, second] * 10))
    assert results.count(True) == 7


async def test_bytes_are_counted_across_processes(db: AsyncDatabase[dict[str, Any]]) -> None:
    first, second = (UploadQuota(db, max_count=100, max_bytes=1000) for _ in range(2))
    assert await _try(first, "u1", 600)
    assert not await _try(second, "u1", 600)
    assert await _try(second, "u1", 400)
    with pytest.raises(QuotaExceeded, match="at most 1000 bytes a day, 1000 used"):
        await first.reserve("u1", 1)
    assert await _try(first, "u2", 1000)  # someone else's quota is their own


async def test_a_fresh_process_finds_the_day_s_count_in_a_few_reads(db: AsyncDatabase[dict[str, Any]]) -> None:
    busy = UploadQuota(db, max_count=500, max_bytes=10**9)
    for _ in range(37):
        await busy.reserve("u1", 1)
    fresh = UploadQuota(db, max_count=38, max_bytes=10**9)
    reads = 0
    find_one = fresh.slots.find_one

    async def counted(*args: Any, **kwargs: Any) -> Any:
        nonlocal reads
        reads += 1
        return await find_one(*args, **kwargs)

    fresh.slots.find_one = counted  # type: ignore[method-assign]
    await fresh.reserve("u1", 1)
    assert reads <= 15, reads  # doubling to 64, halving back to 37: never one read per slot
    with pytest.raises(QuotaExceeded, match="at most 38 uploads a day"):
        await fresh.reserve("u1", 1)

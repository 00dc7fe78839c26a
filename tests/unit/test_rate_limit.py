from __future__ import annotations

import pytest

from command_api import rate_limit
from command_api.rate_limit import TokenBuckets


def test_bursts_then_refuses_then_refills(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [100.0]
    monkeypatch.setattr(rate_limit.time, "monotonic", lambda: clock[0])
    buckets = TokenBuckets(rate=20, burst=40)
    assert all(buckets.take("alice") is None for _ in range(40))
    wait = buckets.take("alice")
    assert wait is not None and 0 < wait <= 0.05
    assert buckets.take("bob") is None  # per sender
    clock[0] += 0.5  # 10 tokens back
    assert sum(buckets.take("alice") is None for _ in range(20)) == 10


def test_sustained_rate_is_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [0.0]
    monkeypatch.setattr(rate_limit.time, "monotonic", lambda: clock[0])
    buckets = TokenBuckets(rate=20, burst=40)
    for _ in range(1000):
        clock[0] += 0.05  # exactly 20 per second
        assert buckets.take("alice") is None

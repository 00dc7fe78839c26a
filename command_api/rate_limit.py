"""A per-sender token bucket: bursts are fine, a sustained flood is refused with 429.

Kept in process memory: each command API instance limits what it receives, which behind a round-robin gateway
bounds a sender at roughly the rate times the number of instances.
"""

from __future__ import annotations

import time

from fastapi import HTTPException, status


class TokenBuckets:
    def __init__(self, *, rate: float, burst: float, max_keys: int = 100_000) -> None:
        self.rate = rate
        self.burst = burst
        self.max_keys = max_keys
        self._buckets: dict[str, tuple[float, float]] = {}

    def take(self, key: str) -> float | None:
        """Take one token; returns None when allowed, else the seconds until a token is available."""
        current = time.monotonic()
        tokens, updated = self._buckets.get(key, (self.burst, current))
        tokens = min(self.burst, tokens + (current - updated) * self.rate)
        if tokens < 1:
            self._buckets[key] = (tokens, current)
            return (1 - tokens) / self.rate
        if len(self._buckets) >= self.max_keys and key not in self._buckets:
            self._buckets.clear()  # forgetting full buckets only ever allows more
        self._buckets[key] = (tokens - 1, current)
        return None


def too_many(detail: str, wait: float) -> HTTPException:
    """429 with the JSON error and ``Retry-After`` in whole seconds (at least 1)."""
    return HTTPException(
        status.HTTP_429_TOO_MANY_REQUESTS, detail, headers={"Retry-After": str(max(1, round(wait + 0.49)))}
    )

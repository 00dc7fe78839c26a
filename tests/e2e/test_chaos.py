"""A reduced chaos run (bench/chaos.py) in `make test`: a few faults at a low rate, each on a stack of its own.

Traffic with retries on the same client_msg_id; after the fault, every acknowledged message is in the log and in
both histories exactly once, reached its receiver exactly once, nothing unacknowledged is anywhere, and
`parley verify` passes with every consumer at the head. docs/operations.md has the full run's table.
"""

from __future__ import annotations

import pytest

from bench.chaos import run_fault


@pytest.mark.parametrize("fault", ["kill-command", "kill-projector", "kill-realtime", "db-down-2s", "nats-down-2s"])
async def test_nothing_is_lost_or_doubled_through_a_fault(fault: str) -> None:
    outcome = await run_fault(fault, pairs=3, rate=10, seconds=12, settle=60, give_up_after=60)
    assert outcome.passed, outcome.problems
    assert outcome.acknowledged >= 100

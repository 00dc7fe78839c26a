"""What the replay end-to-end modules share (each on a stack of its own: ops_stack and db in conftest.py)."""

from __future__ import annotations

from typing import Any

from projector.registry import PROJECTIONS
from tests.support import Stack, eventually


async def caught_up(db: Any, stack: Stack) -> None:
    """Wait until every projection has applied the whole log."""
    events, checkpoints = db[stack.name]["events"], db[f"{stack.name}_views"]["checkpoints"]

    async def done() -> bool:
        head = await events.count_documents({})
        marks = {d["_id"]: d.get("position", 0) async for d in checkpoints.find()}
        return len(marks) == len(PROJECTIONS) and all(p >= head for p in marks.values())

    await eventually(done, timeout=30, what="projections caught up")

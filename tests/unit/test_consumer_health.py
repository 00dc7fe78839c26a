"""When a projection consumer counts as stuck (the projector's /readyz): pure bookkeeping, no database or bus."""

from __future__ import annotations

from typing import Any

from projector.consumer import CHECKPOINTS, PARKED, STUCK_AFTER_SECONDS, ProjectionConsumer


class _Nothing:
    name = "nothing"
    models: tuple[str, ...] = ()


def consumer() -> ProjectionConsumer:
    views: dict[str, Any] = {CHECKPOINTS: None, PARKED: None}
    return ProjectionConsumer(_Nothing(), bus=None, views=views)  # type: ignore[arg-type]


def test_a_consumer_that_comes_round_is_fine() -> None:
    c = consumer()
    assert c.problem(c.alive_at + STUCK_AFTER_SECONDS - 1) is None


def test_a_loop_that_has_not_come_round_is_stuck() -> None:
    c = consumer()
    assert c.problem(c.alive_at + STUCK_AFTER_SECONDS + 5) == f"no progress for {STUCK_AFTER_SECONDS + 5:.0f} s"


def test_waiting_for_the_database_says_so() -> None:
    c = consumer()
    c.waiting_since = c.alive_at + 1
    assert (
        c.problem(c.alive_at + STUCK_AFTER_SECONDS + 11) == f"waiting {STUCK_AFTER_SECONDS + 10:.0f} s for the database"
    )

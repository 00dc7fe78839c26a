"""The presence registry on its own, on the real FerretDB and NATS, with a clock the tests move: grace periods and
node timeouts are checked at exact instants, with no sleeping past them (the e2e tests cover the wiring)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from command_api.presence import PresenceRegistry
from command_api.recorder import Recorder
from shared.bus import Bus
from shared.events import Envelope
from shared.signals import PresenceReport
from shared.streams import presence_stream
from tests.support import Infra, bus_settings
from tests.support.memory_log import InMemoryEventLog

GRACE = 5.0
NODE_TIMEOUT = 30.0


class Clock:
    """Seconds that move only when a test says so; the wall clock follows them."""

    def __init__(self) -> None:
        self.seconds = 1_000.0

    def __call__(self) -> float:
        return self.seconds

    def wall(self) -> datetime:
        return datetime(2026, 12, 1, tzinfo=UTC) + timedelta(seconds=self.seconds)

    def advance(self, seconds: float) -> None:
        self.seconds += seconds


class Published(list[Envelope]):
    def publish(self, event: Envelope) -> None:
        self.append(event)


@pytest.fixture
async def bus(infra: Infra) -> AsyncIterator[Bus]:
    bus = Bus(bus_settings(infra.nats.url, "presence"), name="presence")  # started by the tests that need it
    yield bus
    if bus.ready:  # started by the test
        await bus.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def log() -> InMemoryEventLog:
    return InMemoryEventLog()


@pytest.fixture
async def registry(
    mongo: AsyncMongoClient[dict[str, Any]], db_name: str, log: InMemoryEventLog, bus: Bus, clock: Clock
) -> AsyncIterator[PresenceRegistry]:
    registry = PresenceRegistry(
        mongo[db_name],
        log,
        Recorder(log, Published()),
        bus,
        grace_seconds=GRACE,
        node_timeout_seconds=NODE_TIMEOUT,
        clock=clock,
        wall_clock=clock.wall,
    )
    yield registry
    await mongo.drop_database(db_name)


async def states(log: InMemoryEventLog, user: str) -> list[tuple[bool, str]]:
    return [(bool(e.data["online"]), str(e.data["reason"])) for e in await log.read_stream(presence_stream(user))]


async def listening(registry: PresenceRegistry, bus: Bus) -> None:
    """The registry hears reports from now on (as after its start, once NATS is connected)."""
    bus.start()
    await bus.wait_ready()  # the registry's subscription runs as the bus becomes ready


async def test_a_user_goes_offline_when_the_grace_period_after_their_last_socket_ends(
    registry: PresenceRegistry, log: InMemoryEventLog, clock: Clock
) -> None:
    await registry.apply_report(PresenceReport(node="n1", up=["alice"]))
    assert await states(log, "alice") == [(True, "connected")]
    await registry.apply_report(PresenceReport(node="n1", down=["alice"]))
    clock.advance(GRACE - 0.1)
    await registry.sweep()
    assert await states(log, "alice") == [(True, "connected")]  # a moment before the end: still online
    clock.advance(0.1)
    await registry.sweep()
    assert await states(log, "alice") == [(True, "connected"), (False, "disconnected")]


async def test_a_reload_within_the_grace_period_records_nothing(
    registry: PresenceRegistry, log: InMemoryEventLog, clock: Clock
) -> None:
    await registry.apply_report(PresenceReport(node="n1", up=["alice"]))
    await registry.apply_report(PresenceReport(node="n1", down=["alice"]))
    clock.advance(0.3)
    await registry.apply_report(PresenceReport(node="n2", up=["alice"]))  # the reloaded page, on another node
    clock.advance(GRACE * 2)
    await registry.sweep()
    assert await states(log, "alice") == [(True, "connected")]


async def test_online_while_any_socket_is_left_on_any_node(
    registry: PresenceRegistry, log: InMemoryEventLog, clock: Clock
) -> None:
    await registry.apply_report(PresenceReport(node="n1", up=["alice"]))
    await registry.apply_report(PresenceReport(node="n2", up=["alice"]))
    await registry.apply_report(PresenceReport(node="n1", down=["alice"]))
    clock.advance(GRACE + 1)
    await registry.sweep()
    assert await states(log, "alice") == [(True, "connected")]
    await registry.apply_report(PresenceReport(node="n2", down=["alice"]))
    clock.advance(GRACE)
    await registry.sweep()
    assert await states(log, "alice") == [(True, "connected"), (False, "disconnected")]


async def test_a_heartbeat_replaces_what_the_node_held(
    registry: PresenceRegistry, log: InMemoryEventLog, clock: Clock
) -> None:
    await registry.apply_report(PresenceReport(node="n1", up=["alice", "bob"]))
    await registry.apply_report(PresenceReport(node="n1", users=["bob", "carol"]))  # alice's "down" was lost
    assert await states(log, "carol") == [(True, "connected")]
    clock.advance(GRACE)
    await registry.sweep()
    assert await states(log, "alice") == [(True, "connected"), (False, "disconnected")]
    assert await states(log, "bob") == [(True, "connected")]


async def test_a_silent_node_expires_and_its_users_go_offline_unless_another_node_has_them(
    registry: PresenceRegistry, log: InMemoryEventLog, clock: Clock, bus: Bus
) -> None:
    await listening(registry, bus)
    await registry.apply_report(PresenceReport(node="n1", up=["alice", "bob"]))
    registry._heard["n1"] = clock()  # as if the report had come over the bus now
    clock.advance(1)
    await registry.apply_report(PresenceReport(node="n2", up=["bob"]))
    registry._heard["n2"] = clock()
    clock.advance(NODE_TIMEOUT - 2)
    await registry.apply_report(PresenceReport(node="n2", users=["bob"]))  # n2 keeps heartbeating; n1 is silent
    registry._heard["n2"] = clock()
    await registry.sweep()
    assert await states(log, "alice") == [(True, "connected")]  # n1 not silent for a full timeout yet
    clock.advance(2)
    await registry.sweep()
    assert await states(log, "alice") == [(True, "connected"), (False, "node_expired")]
    assert await states(log, "bob") == [(True, "connected")]


async def test_a_registry_that_just_started_does_not_expire_nodes_it_could_not_hear(
    registry: PresenceRegistry, log: InMemoryEventLog, clock: Clock, bus: Bus
) -> None:
    # A node's last heartbeat on record is old: this command API was down (or just started) meanwhile.
    await registry.apply_report(PresenceReport(node="n1", up=["alice"]))
    clock.advance(NODE_TIMEOUT * 3)
    await listening(registry, bus)
    await registry.sweep()
    clock.advance(NODE_TIMEOUT - 1)
    await registry.sweep()
    assert await states(log, "alice") == [(True, "connected")]  # not a full timeout since it could hear the node
    await registry.apply_report(PresenceReport(node="n1", users=["alice"]))  # the node's next heartbeat
    registry._heard["n1"] = clock()
    clock.advance(NODE_TIMEOUT - 1)
    await registry.sweep()
    assert await states(log, "alice") == [(True, "connected")]

"""Who hears whose presence: watchers by the people they named, grouped so that a packet is encoded once."""

from __future__ import annotations

from realtime.presence_audience import Delivery, PresenceAudience


def test_changes_go_to_the_sockets_that_watch_them_grouped() -> None:
    audience = PresenceAudience(max_watched=3)
    assert audience.watch("s1", ["a", "b"])
    assert audience.watch("s2", ["a", "b"])
    assert audience.watch("s3", ["c"])
    assert audience.watch("s4", ["x"])
    deliveries = audience.deliveries(["b", "c", "a", "z"])
    assert {(d.changes, frozenset(d.sids)) for d in deliveries} == {
        ((0, 2), frozenset({"s1", "s2"})),
        ((1,), frozenset({"s3"})),
    }
    assert len(deliveries) == 2


def test_naming_again_replaces_and_too_many_means_everyone() -> None:
    audience = PresenceAudience(max_watched=3)
    audience.watch("s1", ["a", "b"])
    audience.watch("s1", ["c"])
    assert audience.watching("s1") == frozenset({"c"})
    assert [d.sids for d in audience.deliveries(["a", "b", "c"])] == [("s1",)]
    assert not audience.watch("s1", ["a", "b", "c", "d"])
    assert audience.watching("s1") is None
    assert audience.deliveries(["a", "b", "c", "d"]) == []


def test_a_socket_that_leaves_is_forgotten() -> None:
    audience = PresenceAudience(max_watched=10)
    audience.watch("s1", ["a"])
    audience.watch("s2", ["a"])
    audience.forget("s1")
    audience.forget("s1")
    assert audience.deliveries(["a"]) == [Delivery(changes=(0,), sids=("s2",))]
    audience.forget("s2")
    assert audience.deliveries(["a"]) == [] and audience._watchers == {}

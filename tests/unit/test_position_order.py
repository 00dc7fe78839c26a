"""PositionOrder puts items that arrive about in position order (a read of the log, the bus) back in exact order."""

from __future__ import annotations

import random

from shared.event_reader import PositionOrder


def released(order: PositionOrder[str], arrivals: list[int]) -> list[str]:
    """What the order hands out as these positions arrive (each item is named after its position)."""
    return [item for position in arrivals for item in order.add(position, f"p{position}")]


def test_items_that_arrive_out_of_order_come_out_in_position_order() -> None:
    order: PositionOrder[str] = PositionOrder(after=0)
    assert order.add(3, "p3") == []
    assert order.add(1, "p1") == ["p1"]
    assert order.add(2, "p2") == ["p2", "p3"]
    assert (order.next, order.waiting) == (4, {})


def test_an_item_waits_until_the_one_before_it_has_come() -> None:
    order: PositionOrder[str] = PositionOrder(after=10)
    assert released(order, [12, 13, 15]) == []
    assert sorted(order.waiting) == [12, 13, 15]
    assert order.add(11, "p11") == ["p11", "p12", "p13"]
    assert sorted(order.waiting) == [15]


def test_a_duplicate_of_a_waiting_item_is_dropped_and_the_first_copy_kept() -> None:
    order: PositionOrder[str] = PositionOrder(after=0)
    assert order.add(2, "first copy") == []
    assert order.add(2, "second copy") == []
    assert order.add(1, "p1") == ["p1", "first copy"]


def test_a_duplicate_of_an_item_already_handed_out_is_dropped() -> None:
    order: PositionOrder[str] = PositionOrder(after=0)
    assert released(order, [1, 2, 1, 2, 3, 1]) == ["p1", "p2", "p3"]
    assert order.waiting == {}


def test_items_at_or_before_after_are_dropped() -> None:
    order: PositionOrder[str] = PositionOrder(after=5)
    assert released(order, [3, 5, 6, 4, 7]) == ["p6", "p7"]
    assert order.waiting == {}


def test_items_past_until_are_dropped_and_the_order_is_done_at_until() -> None:
    order: PositionOrder[str] = PositionOrder(after=0, until=3)
    assert released(order, [4, 2, 9]) == []
    assert sorted(order.waiting) == [2], "nothing past until waits"
    assert not order.done
    assert released(order, [1, 3]) == ["p1", "p2", "p3"]
    assert order.done
    assert released(order, [4, 5]) == []


def test_without_until_the_order_is_never_done() -> None:
    order: PositionOrder[str] = PositionOrder(after=0)
    assert released(order, list(range(1, 1001))) == [f"p{p}" for p in range(1, 1001)]
    assert not order.done


def test_an_order_with_nothing_to_take_is_done_at_once() -> None:
    assert PositionOrder[str](after=7, until=7).done


def test_positions_found_elsewhere_are_passed_and_the_waiting_ones_after_them_follow() -> None:
    """A gap filled from the log: the positions up to it are passed, the items past it are handed out next."""
    order: PositionOrder[str] = PositionOrder(after=0)
    assert released(order, [1, 4, 5, 7]) == ["p1"]
    order.passed(3)  # 2 and 3 were read from the log
    assert order.ready() == ["p4", "p5"]
    assert sorted(order.waiting) == [7]
    order.passed(9)  # past a waiting item: it is dropped, the log had it
    assert (order.next, order.waiting, order.ready()) == (10, {}, [])


def test_a_shuffled_stream_with_duplicates_and_strays_comes_out_exactly_once_in_order() -> None:
    after, until = 100, 400
    arrivals = [*range(after + 1, until + 1), *range(after + 1, until + 1, 3), *range(1, 50), *range(401, 450)]
    random.Random(7).shuffle(arrivals)
    order: PositionOrder[str] = PositionOrder(after, until)
    assert released(order, arrivals) == [f"p{p}" for p in range(after + 1, until + 1)]
    assert order.done and order.waiting == {}

"""The realtime node's Socket.IO client manager: rooms kept as the library keeps them, found without a scan."""

from __future__ import annotations

from typing import Any

import pytest
import socketio

from realtime.socket_manager import IndexedManager

NS = "/"


class _NoScan(dict[Any, Any]):
    """A namespace's room table that fails any walk over all its rooms (lookups by name still work)."""

    def copy(self) -> dict[Any, Any]:
        raise AssertionError("every room of the namespace was walked")

    def items(self) -> Any:
        raise AssertionError("every room of the namespace was walked")


async def _connected(manager: socketio.AsyncManager, count: int) -> list[str]:
    sids = []
    for i in range(count):
        sid = await manager.connect(f"eio-{i}", NS)
        await manager.enter_room(sid, NS, f"user:{i % 3}")
        sids.append(sid)
    return sids


def _server() -> socketio.AsyncServer:
    return socketio.AsyncServer(async_mode="asgi", client_manager=IndexedManager())


async def test_a_disconnect_reads_only_the_rooms_of_the_socket() -> None:
    manager = _server().manager
    sids = await _connected(manager, 30)
    manager.rooms[NS] = _NoScan(manager.rooms[NS])

    await manager.disconnect(sids[4], NS)
    await manager.leave_room(sids[5], NS, "user:2")

    assert manager.rooms[NS][None].get(sids[4]) is None
    assert sids[4] not in manager.rooms[NS]["user:1"]
    assert sids[4] not in manager.rooms[NS]
    assert manager.get_rooms(sids[5], NS) == [sids[5]]
    assert sorted(manager.get_rooms(sids[6], NS)) == sorted([sids[6], "user:0"])


async def test_rooms_end_as_the_librarys_manager_leaves_them() -> None:
    ours, theirs = _server().manager, socketio.AsyncServer(async_mode="asgi").manager
    for manager in (ours, theirs):
        sids = await _connected(manager, 12)
        await manager.leave_room(sids[0], NS, "user:0")
        for sid in sids[3:9]:
            await manager.disconnect(sid, NS)
        await manager.close_room("user:2", NS)
    assert _shape(ours) == _shape(theirs) == ({"user:0": 1, "user:1": 2}, 6, 6)
    # Nothing is kept for sockets that are gone.
    assert set(ours._rooms_of) == {(NS, sid) for sid in ours.rooms[NS][None]}


def _shape(manager: socketio.AsyncManager) -> tuple[dict[str, int], int, int]:
    """Each named room's size, the number of sockets' own rooms, and of sockets (socket ids are random)."""
    rooms = manager.rooms[NS]
    named = {r: len(m) for r, m in rooms.items() if isinstance(r, str) and r.startswith("user:")}
    own = sum(1 for r in rooms if isinstance(r, str) and not r.startswith("user:"))
    return named, own, len(rooms[None])


@pytest.mark.parametrize("to", [None, "user:1"])
async def test_a_broadcast_reaches_every_participant_but_the_skipped_once(to: str | None) -> None:
    server = _server()
    manager = server.manager
    sids = await _connected(manager, 9)
    sent: list[tuple[str, str]] = []

    async def send_packet(eio_sid: str, pkt: Any) -> None:
        if eio_sid == "eio-2":
            raise RuntimeError("a broken socket")
        sent.append((eio_sid, pkt.encode()))

    server.eio.send_packet = send_packet
    await manager.emit("presence", {"user_id": "u", "online": True}, NS, room=to, skip_sid=sids[4])

    expected = [f"eio-{i}" for i in range(9) if i not in (2, 4) and (to is None or i % 3 == 1)]
    assert sorted(eio for eio, _ in sent) == sorted(expected)
    assert {encoded for _, encoded in sent} == {'42["presence",{"user_id":"u","online":true}]'}

"""python-socketio's client manager, with each socket's rooms indexed and broadcasts sent without a task each.

The library's manager finds a leaving socket's rooms by scanning every room of the namespace, and each socket here
brings two (its own and its user's): one disconnect costs as much as the node has sockets, so a storm of N leaves
costs N² and held the event loop for seconds with 5,000 sockets. Its broadcast starts one task per recipient, 5,000
tasks for a single presence change, though handing a socket its packet only queues it for the socket's own writer.
This manager keeps ``(namespace, sid) -> rooms`` beside the library's room table, so a disconnect touches only the
socket's rooms, and hands a broadcast's packets over in one loop. Everything else is the library's.
"""

from __future__ import annotations

import logging
from typing import Any

import socketio
from engineio import packet as eio_packet
from socketio import packet

log = logging.getLogger(__name__)


class IndexedManager(socketio.AsyncManager):  # type: ignore[misc]  # the library is untyped
    def __init__(self) -> None:
        super().__init__()
        self._rooms_of: dict[tuple[str, str], set[str | None]] = {}

    def basic_enter_room(self, sid: str, namespace: str, room: str | None, eio_sid: str | None = None) -> None:
        super().basic_enter_room(sid, namespace, room, eio_sid=eio_sid)
        self._rooms_of.setdefault((namespace, sid), set()).add(room)

    def basic_leave_room(self, sid: str, namespace: str, room: str | None) -> None:
        super().basic_leave_room(sid, namespace, room)
        rooms = self._rooms_of.get((namespace, sid))
        if rooms is not None:
            rooms.discard(room)
            if not rooms:
                del self._rooms_of[(namespace, sid)]

    def basic_disconnect(self, sid: str, namespace: str, **kwargs: Any) -> None:
        # The library's steps, but the rooms come from the index instead of a scan of every room.
        if namespace not in self.rooms:
            return
        for room in list(self._rooms_of.get((namespace, sid), ())):
            self.basic_leave_room(sid, namespace, room)
        self.callbacks.pop(sid, None)
        for pending in (self.pending_connect, self.pending_disconnect):
            sids = pending.get(namespace)
            if sids is not None and sid in sids:
                sids.remove(sid)
                if not sids:
                    del pending[namespace]

    def get_rooms(self, sid: str, namespace: str) -> list[str]:
        return [room for room in self._rooms_of.get((namespace, sid), ()) if room is not None]

    async def emit(
        self,
        event: str,
        data: Any,
        namespace: str,
        room: Any = None,
        skip_sid: Any = None,
        callback: Any = None,
        to: Any = None,
        **kwargs: Any,
    ) -> None:
        if callback is not None:  # each recipient gets a packet of its own: the library's way
            await super().emit(event, data, namespace, room=room, skip_sid=skip_sid, callback=callback, to=to, **kwargs)
            return
        room = to or room
        if namespace not in self.rooms:
            return
        args = list(data) if isinstance(data, tuple) else [] if data is None else [data]
        skip = set(skip_sid) if isinstance(skip_sid, list) else {skip_sid}
        encoded = self.server.packet_class(packet.EVENT, namespace=namespace, data=[event, *args]).encode()
        parts = encoded if isinstance(encoded, list) else [encoded]  # a list when there are binary attachments
        packets = [eio_packet.Packet(eio_packet.MESSAGE, part) for part in parts]
        for sid, eio_sid in self.get_participants(namespace, room):
            if sid in skip:
                continue
            for eio_pkt in packets:
                try:
                    # Queues the packet for the socket's writer task (or closes a socket whose pings stopped).
                    await self.server._send_eio_packet(eio_sid, eio_pkt)
                except Exception:  # one broken socket must not keep the packet from the others
                    log.debug("could not hand a packet to a socket", extra={"sid": sid}, exc_info=True)

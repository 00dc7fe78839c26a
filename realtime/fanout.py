"""One fan-out path: every node receives every event from NATS and emits it to the sockets it concerns."""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import Any

import socketio
from nats.aio.msg import Msg

from realtime.connections import user_room
from realtime.directory import KnownUsers
from realtime.presence_push import PresencePush
from realtime.user_push import UserPush
from shared.conversations import message_payload, read_payload
from shared.dispatch import EventHandlers
from shared.events import (
    Envelope,
    MessageSent,
    MessagesRead,
    PresenceChanged,
    UnknownEventType,
    UserProfileUpdated,
    UserRegistered,
)
from shared.lru import Lru
from shared.media_urls import MediaSigner
from shared.schemas import PresenceOut, ResyncOut, UserChangeOut, UserOut, socket_payload

log = logging.getLogger(__name__)

# Event ids remembered to drop a second delivery: minutes of traffic at hundreds of events a second (a few MiB).
RECENT_EVENTS = 100_000


class RecentIds:
    """The last ``capacity`` ids seen, oldest forgotten first."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._ids: Lru[str, None] = Lru(capacity)

    def first_time(self, event_id: str) -> bool:
        """Whether ``event_id`` is new (and remember it)."""
        if event_id in self._ids:
            return False
        self._ids.remember(event_id, None)
        return True


class Fanout:
    def __init__(
        self,
        sio: socketio.AsyncServer,
        signer: MediaSigner,
        presence: PresencePush,
        users: UserPush,
        known: KnownUsers,
    ) -> None:
        self.sio = sio
        self.presence = presence
        self.users = users
        self.known = known
        # Pushes go only to a message's participants, who may see its media: URLs are signed per push.
        self.signer = signer
        # The node's subscription is a plain one: an event the outbox publishes again (after a crash of the command
        # API, before it cleared its entries) reaches it twice, though JetStream keeps one copy. Push it once.
        self.recent = RecentIds(RECENT_EVENTS)
        # The highest log position received from the bus (0: none yet).
        self.position = 0
        self.handlers = EventHandlers[None, Awaitable[None]]()
        self.handlers.on(MessageSent, self._message)
        self.handlers.on(MessagesRead, self._read)
        self.handlers.on(UserRegistered, self._registered)
        self.handlers.on(PresenceChanged, self._presence)
        self.handlers.on(UserProfileUpdated, self._profile)

    async def on_bus_message(self, msg: Msg) -> None:
        try:
            event = Envelope.from_json(msg.data)
        except UnknownEventType:
            return  # published by a newer version of the command side; nothing to push from here
        except Exception:
            log.exception("undecodable event on the bus", extra={"subject": msg.subject})
            return
        if not self.recent.first_time(event.id):
            return
        self.position = max(self.position, event.position)
        try:
            await self.push(event)
        except Exception:
            log.exception("push failed", extra={"event_id": event.id, "type": event.type})

    async def push(self, event: Envelope) -> None:
        pushing = self.handlers(event, None)
        if pushing is not None:
            await pushing

    async def _message(self, event: Envelope, data: MessageSent, _: None) -> None:
        message = self.signer.message(message_payload(event))
        # Both people, every tab: the sender's other devices see what was sent too.
        await self._emit("message", message, message["sender_id"], message["receiver_id"])

    async def _read(self, event: Envelope, data: MessagesRead, _: None) -> None:
        receipt = read_payload(event)
        await self._emit("read", receipt, receipt["peer_id"], receipt["reader_id"])

    async def _registered(self, event: Envelope, data: UserRegistered, _: None) -> None:
        self.known.learn(data.user_id)
        self.presence.newcomer(data.user_id)
        # Everyone sees a new person appear in the sidebar (gathered with other user changes of the moment).
        self.users.add(socket_payload(UserOut(id=data.user_id, name=data.name)))

    async def _presence(self, event: Envelope, data: PresenceChanged, _: None) -> None:
        self.known.learn(data.user_id)
        # Everyone's sidebar shows the dot: a broadcast, gathered with other changes of the moment.
        self.presence.add(
            socket_payload(PresenceOut(user_id=data.user_id, online=data.online, last_seen=data.last_seen))
        )

    async def _profile(self, event: Envelope, data: UserProfileUpdated, _: None) -> None:
        # Only what changed: presence is not in this event, so clients merge these fields into the user.
        change = UserChangeOut(id=data.user_id, name=data.name, avatar=self.signer.avatar(data.avatar_media_id))
        self.users.add(socket_payload(change))

    async def bus_back(self) -> None:
        """The bus connection is (again) up and subscribed: events published while this node could not hear them
        were never pushed, and a client's cursor may have moved past them on later pushes. Every socket is told to
        catch up from the last position pushed before (null: from wherever the client is)."""
        await self.sio.emit("resync", socket_payload(ResyncOut(after=self.position or None)))

    async def _emit(self, name: str, payload: dict[str, Any], *user_ids: str) -> None:
        await self.sio.emit(name, payload, room=[user_room(u) for u in dict.fromkeys(user_ids)])

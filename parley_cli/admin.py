"""``parley admin grant|revoke EMAIL``: admin rights, decided by an operator and recorded in the event log.

Who may read the audit trail is no longer a setting that trusts whoever registers a listed email first: an operator
with access to the database names an existing account, and the decision is an event (``AdminGranted`` or
``AdminRevoked`` in the stream ``admin:<user_id>``), visible in the audit trail like everything else. The projector
copies it onto the account's ``users`` view document, where the query API checks it.
"""

from __future__ import annotations

import asyncio
import getpass
import socket
from dataclasses import dataclass

from shared.audit import find_user_id
from shared.bus import Bus, BusUnavailable
from shared.event_store import EventStore
from shared.events import AdminGranted, AdminRevoked, Envelope, NewEvent
from shared.settings import Settings
from shared.streams import admin_stream

_PUBLISH_WAIT_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class AdminChange:
    user_id: str
    event: Envelope | None  # None: nothing to change (already so)


class UnknownAccount(LookupError):
    pass


def operator() -> str:
    """Who runs the command, as far as this machine knows (recorded in the event)."""
    try:
        user = getpass.getuser()
    except Exception:
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


async def change_admin(store: EventStore, email: str, *, grant: bool, by: str) -> AdminChange:
    """Append AdminGranted/AdminRevoked for the account with ``email``, unless it already is (or is not) an admin."""
    user_id = await find_user_id(store, email)
    if user_id is None:
        raise UnknownAccount(email)
    stream = admin_stream(user_id)
    last = await store.last_event(stream)
    is_admin = last is not None and last.type == AdminGranted.event_type
    if is_admin == grant:
        return AdminChange(user_id, None)
    normalized = email.strip().lower()
    data = (
        AdminGranted(user_id=user_id, email=normalized, by=by)
        if grant
        else AdminRevoked(user_id=user_id, email=normalized, by=by)
    )
    version = last.stream_version if last else 0
    result = await store.append(NewEvent(stream=stream, data=data), expected_version=version)
    return AdminChange(user_id, result.event)


async def publish(settings: Settings, store: EventStore, event: Envelope) -> bool:
    """Publish the event at once; when NATS cannot be reached, the command API's outbox relay does it shortly."""
    bus = Bus(settings, name="parley-cli")
    bus.start()
    try:
        await asyncio.wait_for(bus.wait_ready(), _PUBLISH_WAIT_SECONDS)
        await bus.publish(event)
    except (TimeoutError, BusUnavailable):
        return False
    finally:
        await bus.close()
    return True

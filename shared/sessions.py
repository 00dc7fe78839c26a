"""Which sessions have ended, held in memory: the revocation check of every request and socket event, with no
database read.

A token names its session (``sid``) and the user's session generation when it was issued (``gen``). Logging out
ends one session (``SessionEnded``); logging out everywhere or changing the password raises the generation
(``AllSessionsEnded``), which ends every token of an older generation but the kept session's.

An access token lives at most ``access_ttl`` seconds, so a revocation needs remembering only that long: by then
every token it ended has expired anyway (refresh tokens are checked against the command side's stored state, see
command_api/sessions.py). So each process holds just the session events of the last ``access_ttl`` seconds: read
from JetStream when it starts (by start time, filtered by subject: a bounded read, never the log) and followed
live on the bus afterwards (see ``follow``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from nats.aio.msg import Msg

from shared.auth import TokenClaims
from shared.bus import Bus
from shared.events import AllSessionsEnded, Envelope, EventData, SessionEnded

log = logging.getLogger(__name__)

SESSION_EVENT_TYPES = (SessionEnded.event_type, AllSessionsEnded.event_type)
_PRUNE_EVERY = 1000


@dataclass(frozen=True, slots=True)
class Cutoff:
    generation: int
    kept_session_id: str | None
    forget_at: float


class Revocations:
    def __init__(self, *, remember_seconds: float) -> None:
        self.remember = remember_seconds
        self._ended: dict[str, float] = {}  # session id -> wall time at which its tokens have all expired
        self._cutoffs: dict[str, Cutoff] = {}  # user id -> the newest generation cut-off
        self._applied = 0
        # Called with each session event applied (realtime disconnects the sockets it ends).
        self.listeners: list[Callable[[EventData], None]] = []
        # False until the recent past has been read from the bus: until then only live events are known.
        self.loaded = False

    def apply(self, event: Envelope) -> None:
        """Take a session event (others are ignored); idempotent, and in any order."""
        if event.type not in SESSION_EVENT_TYPES:
            return
        data = event.decode()
        forget_at = event.occurred_at.timestamp() + self.remember
        if forget_at < time.time():
            return  # every token it ended has expired
        if isinstance(data, SessionEnded):
            self._ended[data.session_id] = max(forget_at, self._ended.get(data.session_id, 0.0))
        elif isinstance(data, AllSessionsEnded):
            current = self._cutoffs.get(data.user_id)
            if current is None or data.generation > current.generation:
                self._cutoffs[data.user_id] = Cutoff(data.generation, data.kept_session_id, forget_at)
            elif data.generation == current.generation:
                self._cutoffs[data.user_id] = Cutoff(
                    current.generation, current.kept_session_id, max(current.forget_at, forget_at)
                )
        self._applied += 1
        if self._applied % _PRUNE_EVERY == 0:
            self.prune()
        for listener in self.listeners:
            listener(data)

    def cutoff(self, user_id: str) -> Cutoff | None:
        """The newest generation cut-off of the user known here (None when nothing recent is known)."""
        return self._cutoffs.get(user_id)

    def ended(self, claims: TokenClaims) -> bool:
        """Whether the token's session has ended (the token's own expiry is checked when it is decoded)."""
        if claims.session_id in self._ended:
            return True
        cutoff = self._cutoffs.get(claims.user_id)
        return (
            cutoff is not None and claims.generation < cutoff.generation and claims.session_id != cutoff.kept_session_id
        )

    def prune(self) -> None:
        current = time.time()
        self._ended = {sid: at for sid, at in self._ended.items() if at > current}
        self._cutoffs = {uid: c for uid, c in self._cutoffs.items() if c.forget_at > current}

    async def health(self) -> None:
        """A readiness check: not ready until the recent session events have been read (a request answered
        before that could accept a token that ended just before this process started)."""
        if not self.loaded:
            raise ConnectionError("recent session events not read yet")

    def on_bus_event(self, event: Envelope) -> None:
        try:
            self.apply(event)
        except Exception:
            log.exception("session event not applied", extra={"event_id": event.id})


async def follow(bus: Bus, revocations: Revocations) -> None:
    """Keep ``revocations`` current: live session events first (so nothing falls between), then the recent past."""

    async def on_msg(msg: Msg) -> None:
        try:
            event = Envelope.from_json(msg.data)
        except Exception:
            log.warning("undecodable session event dropped", extra={"subject": msg.subject})
            return
        revocations.on_bus_event(event)

    await bus.subscribe_types(SESSION_EVENT_TYPES, on_msg)
    await read_recent(bus, revocations)


async def read_recent(bus: Bus, revocations: Revocations) -> None:
    """Read the session events of the last access-token lifetime from the stream (applying one twice is
    harmless), then count as loaded."""
    since = datetime.now(UTC) - timedelta(seconds=revocations.remember)
    try:
        async for event in bus.recent(SESSION_EVENT_TYPES, since=since):
            revocations.on_bus_event(event)
    except Exception:
        log.exception("could not read the recent session events; only live ones are known")
        return
    revocations.loaded = True
    log.info("session revocations loaded")


def start_following(bus: Bus, revocations: Revocations) -> None:
    """Follow the bus's session events in every process that checks tokens. Called each time the bus is ready:
    the client renews plain subscriptions itself after a reconnect, so then only the recent past is read again
    (what was published while NATS was away)."""
    subscribed = False

    async def on_ready() -> None:
        nonlocal subscribed
        if subscribed:
            await read_recent(bus, revocations)
            return
        subscribed = True
        await follow(bus, revocations)

    bus.on_ready.append(on_ready)

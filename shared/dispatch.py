"""Events handed to the handler registered for their type, with their typed data: a table instead of a chain of
``if event.type == ...`` each followed by ``assert isinstance``.

A handler is registered with the event class it takes, so its data parameter is typed by that class; an event of a
type with no handler is not handled (``None``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

from shared.events import Envelope, EventData

D = TypeVar("D", bound=EventData)
C = TypeVar("C")  # what every handler of a table is given besides the event (a batch's changes, say)
R = TypeVar("R")


class EventHandlers(Generic[C, R]):
    def __init__(self) -> None:
        self._handlers: dict[str, Callable[[Envelope, Any, C], R]] = {}

    def on(self, kind: type[D], handler: Callable[[Envelope, D, C], R]) -> None:
        """Hand events of ``kind`` to ``handler(event, typed data, context)``."""
        self._handlers[kind.event_type] = handler

    @property
    def types(self) -> frozenset[str]:
        """The event types handled."""
        return frozenset(self._handlers)

    def handles(self, event: Envelope) -> bool:
        return event.type in self._handlers

    def __call__(self, event: Envelope, context: C) -> R | None:
        handler = self._handlers.get(event.type)
        return None if handler is None else handler(event, event.decode(), context)

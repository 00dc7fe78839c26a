"""Every projection the projector runs, by name (the names `parley replay --model` takes)."""

from __future__ import annotations

from collections.abc import Callable

from projector.catchup import CatchupProjection
from projector.consumer import Projection
from projector.conversations import ConversationsProjection
from projector.media import MediaProjection
from projector.messages import MessagesProjection
from projector.users import UsersProjection
from shared.views import ViewCatalog

PROJECTIONS: dict[str, Callable[[ViewCatalog], Projection]] = {
    "users": UsersProjection,
    "conversations": ConversationsProjection,
    "messages": MessagesProjection,
    "media": MediaProjection,
    "catchup": CatchupProjection,
}


def projections(views: ViewCatalog) -> list[Projection]:
    """Every read model the projector maintains, writing into the collections the catalog names."""
    return [make(views) for make in PROJECTIONS.values()]

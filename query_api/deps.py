"""FastAPI dependencies of the query API."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from pymongo.asynchronous.database import AsyncDatabase

from query_api.settings import QuerySettings
from shared.event_store import EventStore
from shared.web import authenticated_user_id


def _settings(request: Request) -> QuerySettings:
    settings: QuerySettings = request.app.state.settings
    return settings


def _views(request: Request) -> AsyncDatabase[dict[str, Any]]:
    views: AsyncDatabase[dict[str, Any]] = request.app.state.views
    return views


def _store(request: Request) -> EventStore:
    store: EventStore = request.app.state.store
    return store


SettingsDep = Annotated[QuerySettings, Depends(_settings)]
ViewsDep = Annotated[AsyncDatabase[dict[str, Any]], Depends(_views)]
CurrentUserId = Annotated[str, Depends(authenticated_user_id)]
EventStoreDep = Annotated[EventStore, Depends(_store)]

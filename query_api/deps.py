"""FastAPI dependencies of the query API.

Every dependency is ``async def``, though none awaits anything: FastAPI runs a plain ``def`` dependency in its
thread pool, a round trip to a worker thread for each dependency of each request (a tenth of the command API's CPU
in the messaging benchmark). tests/unit/test_dependencies.py keeps it so.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from query_api.directory import Directory
from query_api.settings import QuerySettings
from shared.event_reader import EventReader
from shared.lru import Lru
from shared.media_urls import MediaSigner
from shared.storage import MediaStorage
from shared.views import ViewCatalog
from shared.web import authenticated_user_id


async def _settings(request: Request) -> QuerySettings:
    settings: QuerySettings = request.app.state.settings
    return settings


async def _views(request: Request) -> ViewCatalog:
    views: ViewCatalog = request.app.state.views
    return views


async def _store(request: Request) -> EventReader:
    store: EventReader = request.app.state.store
    return store


async def _directory(request: Request) -> Directory:
    directory: Directory = request.app.state.directory
    return directory


async def _signer(request: Request) -> MediaSigner:
    signer: MediaSigner = request.app.state.signer
    return signer


async def _served_heads(request: Request) -> Lru[str, int]:
    served: Lru[str, int] = request.app.state.served_heads
    return served


async def _storage(request: Request) -> MediaStorage:
    storage: MediaStorage = request.app.state.storage
    return storage


SettingsDep = Annotated[QuerySettings, Depends(_settings)]
ViewsDep = Annotated[ViewCatalog, Depends(_views)]
CurrentUserId = Annotated[str, Depends(authenticated_user_id)]
EventReaderDep = Annotated[EventReader, Depends(_store)]
SignerDep = Annotated[MediaSigner, Depends(_signer)]
# The newest seq of each conversation whose newest page this process served lately (a guess: never trusted alone).
ServedHeadsDep = Annotated[Lru[str, int], Depends(_served_heads)]
StorageDep = Annotated[MediaStorage, Depends(_storage)]
DirectoryDep = Annotated[Directory, Depends(_directory)]

"""FastAPI dependencies of the command API.

Every dependency is ``async def``, though none awaits anything: FastAPI runs a plain ``def`` dependency in its
thread pool, a round trip to a worker thread for each dependency of each request (a tenth of the command API's CPU
in the messaging benchmark). tests/unit/test_dependencies.py keeps it so.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import Depends, Request

from command_api.directory import UserDirectory
from command_api.quota import UploadQuota
from command_api.rate_limit import TokenBuckets
from command_api.recorder import Recorder
from command_api.sessions import Sessions
from command_api.settings import CommandSettings
from command_api.throttle import LoginThrottle
from shared.auth import TokenClaims
from shared.event_store import EventStore
from shared.media_urls import MediaSigner
from shared.storage import MediaStorage
from shared.web import authenticated_claims, authenticated_user_id


async def _settings(request: Request) -> CommandSettings:
    settings: CommandSettings = request.app.state.settings
    return settings


async def _store(request: Request) -> EventStore:
    store: EventStore = request.app.state.store
    return store


async def _recorder(request: Request) -> Recorder:
    recorder: Recorder = request.app.state.recorder
    return recorder


async def _throttle(request: Request) -> LoginThrottle:
    throttle: LoginThrottle = request.app.state.login_throttle
    return throttle


async def _directory(request: Request) -> UserDirectory:
    directory: UserDirectory = request.app.state.directory
    return directory


async def _message_rate(request: Request) -> TokenBuckets:
    buckets: TokenBuckets = request.app.state.message_rate
    return buckets


async def _profile_rate(request: Request) -> TokenBuckets:
    buckets: TokenBuckets = request.app.state.profile_rate
    return buckets


async def _password_rate(request: Request) -> TokenBuckets:
    buckets: TokenBuckets = request.app.state.password_rate
    return buckets


async def _signup_rate(request: Request) -> TokenBuckets:
    buckets: TokenBuckets = request.app.state.signup_rate
    return buckets


async def _upload_quota(request: Request) -> UploadQuota:
    quota: UploadQuota = request.app.state.upload_quota
    return quota


async def _storage(request: Request) -> MediaStorage:
    storage: MediaStorage = request.app.state.storage
    return storage


async def _sessions(request: Request) -> Sessions:
    sessions: Sessions = request.app.state.sessions
    return sessions


async def _signer(request: Request) -> MediaSigner:
    signer: MediaSigner = request.app.state.signer
    return signer


async def _image_slots(request: Request) -> asyncio.Semaphore:
    slots: asyncio.Semaphore = request.app.state.image_slots
    return slots


SettingsDep = Annotated[CommandSettings, Depends(_settings)]
EventStoreDep = Annotated[EventStore, Depends(_store)]
RecorderDep = Annotated[Recorder, Depends(_recorder)]
LoginThrottleDep = Annotated[LoginThrottle, Depends(_throttle)]
CurrentUserId = Annotated[str, Depends(authenticated_user_id)]
CurrentClaims = Annotated[TokenClaims, Depends(authenticated_claims)]
SessionsDep = Annotated[Sessions, Depends(_sessions)]
DirectoryDep = Annotated[UserDirectory, Depends(_directory)]
RateLimitDep = Annotated[TokenBuckets, Depends(_message_rate)]
ProfileRateDep = Annotated[TokenBuckets, Depends(_profile_rate)]
PasswordRateDep = Annotated[TokenBuckets, Depends(_password_rate)]
SignupRateDep = Annotated[TokenBuckets, Depends(_signup_rate)]
UploadQuotaDep = Annotated[UploadQuota, Depends(_upload_quota)]
StorageDep = Annotated[MediaStorage, Depends(_storage)]
SignerDep = Annotated[MediaSigner, Depends(_signer)]
# Image decoding is CPU and memory heavy: a few at a time per process.
ImageSlotsDep = Annotated[asyncio.Semaphore, Depends(_image_slots)]

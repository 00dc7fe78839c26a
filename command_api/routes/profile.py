"""The caller's profile: display name and avatar."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel

from command_api.deps import CurrentUserId, EventStoreDep, ProfileRateDep, RecorderDep, SignerDep
from command_api.domain.media import UNKNOWN_MEDIA, avatar_upload
from command_api.domain.profile import PROFILE_EVENTS, Profile, UpdateProfile, evolve, fold, update_profile
from command_api.domain.rules import DecisionError
from command_api.rate_limit import too_many
from shared.event_log import ConcurrencyError
from shared.logging import request_id_var
from shared.media_urls import MediaSigner
from shared.streams import is_media_id, media_stream, user_stream

router = APIRouter(prefix="/api/profile", tags=["profile"])
_ATTEMPTS = 5


class ProfileUser(BaseModel):
    id: str
    name: str
    email: str
    avatar: str | None = None
    # The command side does not track presence: the caller is plainly active; merge name and avatar only.
    online: bool = True
    last_seen: datetime | None = None


class ProfileResponse(BaseModel):
    user: ProfileUser


@router.put(
    "",
    responses={
        409: {"description": "Changed concurrently too often; retry"},
        429: {"description": "Too many profile changes (`Retry-After`)"},
        422: {"description": "Invalid name, or avatar_media_id not an image you uploaded"},
    },
)
async def put_profile(
    body: UpdateProfile,
    user_id: CurrentUserId,
    store: EventStoreDep,
    recorder: RecorderDep,
    signer: SignerDep,
    limiter: ProfileRateDep,
) -> ProfileResponse:
    """Change your name and/or avatar (an image you uploaded); `avatar_media_id: null` removes the avatar."""
    # Every change is pushed to everyone connected: an account gets a burst, then a few a minute.
    wait = limiter.take(user_id)
    if wait is not None:
        raise too_many("too many profile changes, try again shortly", wait)
    avatar_media_id: str | None = None
    if body.avatar_media_id is not None:
        if not is_media_id(body.avatar_media_id):
            raise DecisionError(UNKNOWN_MEDIA)
        avatar_media_id = avatar_upload(await store.last_event(media_stream(body.avatar_media_id)), user_id=user_id)
    stream = user_stream(user_id)
    expected = 0
    for _ in range(_ATTEMPTS):
        # The version first: a profile event appended after it shows as a conflict, never as a lost update.
        version = await store.stream_version(stream)
        profile = fold(await store.latest_of_types(stream, PROFILE_EVENTS))
        if profile is not None:
            profile = replace(profile, version=max(version, profile.version))
        if profile is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "user not found")
        new = update_profile(profile, body, avatar_media_id=avatar_media_id, correlation_id=request_id_var.get())
        if new is None:
            return _answer(profile, signer)
        expected = profile.version
        try:
            result = await recorder.record(new, expected_version=expected)
        except ConcurrencyError:
            continue
        updated = evolve(profile, result.event)
        assert updated is not None
        return _answer(updated, signer)
    raise ConcurrencyError(stream, expected)


def _answer(profile: Profile, signer: MediaSigner) -> ProfileResponse:
    user = ProfileUser(
        id=profile.user_id, name=profile.name, email=profile.email, avatar=signer.avatar(profile.avatar_media_id)
    )
    return ProfileResponse(user=user)

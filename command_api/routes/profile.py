"""The caller's profile: display name and avatar."""

from __future__ import annotations

from fastapi import APIRouter

from command_api.deps import CurrentUserId, EventStoreDep, ProfileRateDep, RecorderDep, SignerDep
from command_api.domain.profile import Profile, UpdateProfile
from command_api.handlers.profile import change_profile
from command_api.rate_limit import too_many
from shared.logging import request_id_var
from shared.media_urls import MediaSigner
from shared.schemas import Out, OwnUserOut

router = APIRouter(prefix="/api/profile", tags=["profile"])


class ProfileResponse(Out):
    # The command side does not track presence: the caller is plainly active; clients merge name and avatar only.
    user: OwnUserOut


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
    profile = await change_profile(
        body, user_id=user_id, log=store, recorder=recorder, correlation_id=request_id_var.get()
    )
    return _answer(profile, signer)


def _answer(profile: Profile, signer: MediaSigner) -> ProfileResponse:
    user = OwnUserOut(
        id=profile.user_id,
        name=profile.name,
        email=profile.email,
        avatar=signer.avatar(profile.avatar_media_id),
        online=True,
    )
    return ProfileResponse(user=user)

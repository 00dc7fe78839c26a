"""Changing one's profile: display name and avatar."""

from __future__ import annotations

from dataclasses import replace

from command_api.domain.media import UNKNOWN_MEDIA, avatar_upload
from command_api.domain.profile import PROFILE_EVENTS, Profile, UpdateProfile, evolve, fold, update_profile
from command_api.domain.rules import DecisionError, NotFound
from command_api.recorder import Decision, Recorder
from shared.event_log import EventLog
from shared.streams import is_media_id, media_stream, user_stream


async def change_profile(
    command: UpdateProfile, *, user_id: str, log: EventLog, recorder: Recorder, correlation_id: str | None
) -> Profile:
    """Apply the change; the profile after it (as it was, when the change changes nothing)."""
    avatar_media_id: str | None = None
    if command.avatar_media_id is not None:
        if not is_media_id(command.avatar_media_id):
            raise DecisionError(UNKNOWN_MEDIA)
        avatar_media_id = avatar_upload(await log.last_event(media_stream(command.avatar_media_id)), user_id=user_id)
    stream = user_stream(user_id)
    current: Profile | None = None

    async def decide() -> Decision:
        nonlocal current
        # The version first: a profile event appended after it shows as a conflict, never as a lost update.
        version = await log.stream_version(stream)
        current = fold(await log.latest_of_types(stream, PROFILE_EVENTS))
        if current is None:
            raise NotFound("user not found")
        current = replace(current, version=max(version, current.version))
        new = update_profile(current, command, avatar_media_id=avatar_media_id, correlation_id=correlation_id)
        return Decision(new, expected_version=current.version)

    result = await recorder.decide(decide)
    assert current is not None
    if result is None:
        return current
    updated = evolve(current, result.event)
    assert updated is not None
    return updated

"""Profiles: the UpdateProfile command, the profile folded from a user's stream, and the decision."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Annotated

from pydantic import AfterValidator, Field

from command_api.domain.rules import display_name
from shared.events import Envelope, NewEvent, UserProfileUpdated, UserRegistered
from shared.streams import user_stream
from shared.validation import SafeStr, StrictBody


class UpdateProfile(StrictBody):
    """Fields left out stay as they are; ``avatar_media_id: null`` removes the avatar."""

    name: Annotated[SafeStr, Field(max_length=500), AfterValidator(display_name)] | None = None
    avatar_media_id: Annotated[SafeStr, Field(min_length=1, max_length=64)] | None = None

    @property
    def changes_avatar(self) -> bool:
        return "avatar_media_id" in self.model_fields_set


@dataclass(frozen=True, slots=True)
class Profile:
    user_id: str
    name: str
    email: str
    avatar_media_id: str | None
    version: int


def evolve(profile: Profile | None, event: Envelope) -> Profile | None:
    """The profile after ``event`` of the user's stream (other event types only move the version)."""
    data = event.decode()
    if isinstance(data, UserRegistered):
        return Profile(data.user_id, data.name, data.email, None, event.stream_version)
    if profile is None:
        return None
    if isinstance(data, UserProfileUpdated):
        return replace(profile, name=data.name, avatar_media_id=data.avatar_media_id, version=event.stream_version)
    return replace(profile, version=event.stream_version)


# The events a profile is made of: each carries the whole of what it sets, so the newest of each type is enough.
PROFILE_EVENTS = (UserRegistered.event_type, UserProfileUpdated.event_type)


def fold(events: Iterable[Envelope]) -> Profile | None:
    profile: Profile | None = None
    for event in events:
        profile = evolve(profile, event)
    return profile


def update_profile(
    profile: Profile, command: UpdateProfile, *, avatar_media_id: str | None, correlation_id: str | None
) -> NewEvent | None:
    """Decide the change; None when nothing would change. ``avatar_media_id`` is the checked new avatar (when the
    command changes it)."""
    name = command.name if command.name is not None else profile.name
    avatar = avatar_media_id if command.changes_avatar else profile.avatar_media_id
    if name == profile.name and avatar == profile.avatar_media_id:
        return None
    return NewEvent(
        stream=user_stream(profile.user_id),
        data=UserProfileUpdated(user_id=profile.user_id, name=name, avatar_media_id=avatar),
        actor_id=profile.user_id,
        correlation_id=correlation_id,
    )

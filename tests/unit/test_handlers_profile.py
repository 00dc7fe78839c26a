"""The profile handler on the in-memory log: changes, no-ops, avatars, and lost races."""

from __future__ import annotations

import pytest

from command_api.directory import UserDirectory
from command_api.domain.profile import Profile, UpdateProfile
from command_api.domain.rules import DecisionError, NotFound
from command_api.handlers.profile import change_profile
from command_api.recorder import Recorder
from shared.events import MediaUploaded, NewEvent, UserProfileUpdated
from shared.streams import media_stream, user_stream
from tests.support.memory_log import InMemoryEventLog
from tests.unit.conftest import Published, sign_up


async def change(recorder: Recorder, user_id: str, **fields: object) -> Profile:
    command = UpdateProfile.model_validate(fields)
    return await change_profile(command, user_id=user_id, log=recorder.store, recorder=recorder, correlation_id=None)


async def upload(log: InMemoryEventLog, media_id: str, uploader: str, kind: str = "image") -> None:
    data = MediaUploaded(
        media_id=media_id,
        uploader_id=uploader,
        sha256="0" * 64,
        name="a.png",
        size=10,
        mime="image/png" if kind == "image" else "application/pdf",
        kind=kind,  # type: ignore[arg-type]
    )
    await log.append(NewEvent(stream=media_stream(media_id), data=data, actor_id=uploader), expected_version=0)


async def test_a_new_name_is_recorded_once(
    log: InMemoryEventLog, recorder: Recorder, directory: UserDirectory, published: Published
) -> None:
    ann = await sign_up(recorder, directory, "Ann")
    renamed = await change(recorder, ann, name="  Annie ")
    assert (renamed.name, renamed.email, renamed.version) == ("Annie", "ann@example.com", 2)
    again = await change(recorder, ann, name="Annie")
    assert again == renamed
    assert [e.type for e in await log.read_stream(user_stream(ann))] == ["UserRegistered", "UserProfileUpdated"]
    assert published[-1].type == "UserProfileUpdated"


async def test_an_avatar_must_be_an_image_of_ones_own(
    log: InMemoryEventLog, recorder: Recorder, directory: UserDirectory
) -> None:
    ann = await sign_up(recorder, directory, "Ann")
    bob = await sign_up(recorder, directory, "Bob")
    await upload(log, "a" * 32, ann)
    await upload(log, "b" * 32, bob)
    await upload(log, "c" * 32, ann, kind="file")
    assert (await change(recorder, ann, avatar_media_id="a" * 32)).avatar_media_id == "a" * 32
    for refused in ("b" * 32, "c" * 32, "not an id", "d" * 32):
        with pytest.raises(DecisionError):
            await change(recorder, ann, avatar_media_id=refused)
    removed = await change(recorder, ann, avatar_media_id=None)
    assert removed.avatar_media_id is None and removed.name == "Ann"


async def test_a_change_that_loses_a_race_is_decided_again_on_the_winner(
    log: InMemoryEventLog, recorder: Recorder, directory: UserDirectory
) -> None:
    ann = await sign_up(recorder, directory, "Ann")
    log.fail_next_append()  # another tab makes the same change first
    assert (await change(recorder, ann, name="Annie")).version == 2  # decided again: nothing left to change
    assert [e.stream_version for e in await log.read_stream(user_stream(ann))] == [1, 2]
    await log.append(
        NewEvent(
            stream=user_stream(ann),
            data=UserProfileUpdated(user_id=ann, name="Ann B", avatar_media_id=None),
            actor_id=ann,
        ),
        expected_version=2,
    )  # another instance renamed her since: the avatar change keeps that name
    await upload(log, "a" * 32, ann)
    changed = await change(recorder, ann, avatar_media_id="a" * 32)
    assert (changed.name, changed.avatar_media_id, changed.version) == ("Ann B", "a" * 32, 4)


async def test_a_profile_of_nobody_is_not_found(recorder: Recorder) -> None:
    with pytest.raises(NotFound):
        await change(recorder, "nobody", name="Ghost")

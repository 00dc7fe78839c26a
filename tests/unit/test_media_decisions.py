"""Media decisions without services: content-addressed storage, attaching uploads, avatars, profile updates."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from command_api.domain.media import attach_media, avatar_upload, upload_media
from command_api.domain.profile import UpdateProfile, fold, update_profile
from command_api.domain.rules import DecisionError
from shared.events import Envelope, MediaUploaded, UserProfileUpdated, UserRegistered
from shared.storage import DiskStorage
from tests.unit.media_helpers import MEDIA_ID

# -- storage -----------------------------------------------------------------------------------------------------


async def test_disk_storage_is_content_addressed(tmp_path: Path) -> None:
    storage = DiskStorage(tmp_path / "media")
    sha = await storage.put_bytes(b"hello world")
    assert (tmp_path / "media" / sha[:2] / sha).read_bytes() == b"hello world"
    assert await storage.put_bytes(b"hello world") == sha  # stored once
    assert await storage.size(sha) == 11 and await storage.size("0" * 64) is None
    assert b"".join([c async for c in storage.read(sha, 6, 5)]) == b"world"
    with pytest.raises(ValueError):
        storage.path("../../etc/passwd")
    assert list((tmp_path / "media" / "tmp").iterdir()) == []


# -- decisions ---------------------------------------------------------------------------------------------------


def _uploaded(kind: str = "image", uploader: str = "alice") -> Envelope:
    new = upload_media(
        media_id=MEDIA_ID,
        uploader_id=uploader,
        sha256="a" * 64,
        name="cat.png",
        size=10,
        mime="image/png" if kind == "image" else "video/mp4",
        kind=kind,  # type: ignore[arg-type]
        width=4 if kind == "image" else None,
        height=3 if kind == "image" else None,
        thumbnail_sha256="b" * 64 if kind == "image" else None,
        correlation_id=None,
    )
    return _envelope(new.stream, 1, new.data.event_type, new.data.model_dump(mode="python"))


def _envelope(stream: str, version: int, kind: str, data: dict[str, Any]) -> Envelope:
    return Envelope(
        id=f"e{version}",
        type=kind,
        schema=1,
        stream=stream,
        stream_version=version,
        position=version,
        occurred_at=datetime(2026, 1, 1, tzinfo=UTC),
        actor_id=None,
        correlation_id=None,
        causation_id=None,
        data=data,
    )


def test_only_the_uploader_attaches_and_the_type_must_fit() -> None:
    image = _uploaded("image")
    meta = attach_media(image, sender_id="alice", message_type="image")
    assert meta == {
        "id": MEDIA_ID,
        "name": "cat.png",
        "size": 10,
        "mime": "image/png",
        "kind": "image",
        "width": 4,
        "height": 3,
    }
    assert attach_media(image, sender_id="alice", message_type="file") == meta
    for sender, message_type, detail in [
        ("bob", "image", "unknown media_id"),  # someone else's upload looks like a missing one
        ("alice", "video", "a video message needs a video upload; this one is an image"),
        ("alice", "audio", "an audio message needs an audio upload"),
    ]:
        with pytest.raises(DecisionError, match=detail):
            attach_media(image, sender_id=sender, message_type=message_type)  # type: ignore[arg-type]
    with pytest.raises(DecisionError, match="unknown media_id"):
        attach_media(None, sender_id="alice", message_type="image")
    assert attach_media(_uploaded("video"), sender_id="alice", message_type="video")["kind"] == "video"


def test_avatars_are_the_callers_images() -> None:
    assert avatar_upload(_uploaded("image"), user_id="alice") == MEDIA_ID
    with pytest.raises(DecisionError, match="must be an image"):
        avatar_upload(_uploaded("video"), user_id="alice")
    with pytest.raises(DecisionError, match="unknown media_id"):
        avatar_upload(_uploaded("image", uploader="bob"), user_id="alice")


def test_profile_updates_fold_and_decide() -> None:
    registered = _envelope(
        "user:u1",
        1,
        UserRegistered.event_type,
        {"user_id": "u1", "name": "Ada", "email": "a@x.io", "password_hash": "h"},
    )
    profile = fold([registered])
    assert profile is not None and profile.version == 1 and profile.avatar_media_id is None
    change = update_profile(
        profile, UpdateProfile(avatar_media_id=MEDIA_ID), avatar_media_id=MEDIA_ID, correlation_id=None
    )
    assert change is not None and isinstance(change.data, UserProfileUpdated)
    assert change.data.name == "Ada" and change.data.avatar_media_id == MEDIA_ID
    updated = fold([registered, _envelope("user:u1", 2, UserProfileUpdated.event_type, change.data.model_dump())])
    assert updated is not None and updated.avatar_media_id == MEDIA_ID and updated.version == 2
    # Renaming keeps the avatar; null removes it; no change decides nothing.
    renamed = update_profile(updated, UpdateProfile(name=" Ada L "), avatar_media_id=None, correlation_id=None)
    assert renamed is not None and renamed.data.model_dump() == {
        "user_id": "u1",
        "name": "Ada L",
        "avatar_media_id": MEDIA_ID,
    }
    removed = update_profile(
        updated, UpdateProfile.model_validate({"avatar_media_id": None}), avatar_media_id=None, correlation_id=None
    )
    assert removed is not None and removed.data.model_dump()["avatar_media_id"] is None
    assert update_profile(updated, UpdateProfile(), avatar_media_id=None, correlation_id=None) is None


def test_media_uploaded_is_registered() -> None:
    from shared.events import EVENT_TYPES

    assert EVENT_TYPES["MediaUploaded"] is MediaUploaded
    assert EVENT_TYPES["UserProfileUpdated"] is UserProfileUpdated

from __future__ import annotations

import pytest
from pydantic import ValidationError

from command_api.settings import CommandSettings
from projector.settings import ProjectorSettings
from query_api.settings import QuerySettings
from realtime.settings import RealtimeSettings
from shared.auth import PUBLISHED_SECRETS, create_access_token
from shared.media_urls import MediaSigner
from shared.mongo import create_client
from shared.settings import MAX_MEDIA_URL_TTL_SECONDS, Settings

PLACEHOLDER = next(iter(PUBLISHED_SECRETS))


@pytest.mark.parametrize("env", ["development", "test", "production"])
@pytest.mark.parametrize("secret", [PLACEHOLDER, "short", ""])
@pytest.mark.parametrize("settings", [CommandSettings, QuerySettings, RealtimeSettings])
def test_signing_services_refuse_a_missing_weak_or_published_secret_in_every_mode(
    settings: type[Settings], secret: str, env: str
) -> None:
    with pytest.raises(ValidationError, match="PARLEY_JWT_SECRET"):
        settings(env=env, jwt_secret=secret)  # type: ignore[arg-type]


def test_services_that_never_sign_run_without_a_secret() -> None:
    assert ProjectorSettings(env="production").jwt_secret.get_secret_value() == ""
    assert Settings().jwt_secret.get_secret_value() == ""


def test_a_media_url_key_if_given_must_be_strong() -> None:
    with pytest.raises(ValidationError, match="PARLEY_MEDIA_URL_KEY"):
        QuerySettings(jwt_secret="x" * 40, media_url_key="short")  # type: ignore[arg-type]


@pytest.mark.parametrize("secret", [PLACEHOLDER, "short", ""])
def test_no_code_path_signs_with_a_known_secret(secret: str) -> None:
    with pytest.raises(ValueError, match="refusing to sign"):
        create_access_token("user-1", secret=secret, ttl_seconds=60)
    with pytest.raises(ValueError, match="refusing to sign"):
        MediaSigner.from_secret(secret, 3600)


def test_media_urls_have_their_own_key() -> None:
    settings = QuerySettings(jwt_secret="j" * 40, media_url_key="m" * 40)  # type: ignore[arg-type]
    assert MediaSigner.from_settings(settings) == MediaSigner.from_secret("m" * 40, 3600)
    assert MediaSigner.from_settings(settings) != MediaSigner.from_secret("j" * 40, 3600)


def test_media_url_lifetime_is_bounded() -> None:
    with pytest.raises(ValidationError, match="media_url_ttl_seconds"):
        QuerySettings(jwt_secret="x" * 40, media_url_ttl_seconds=MAX_MEDIA_URL_TTL_SECONDS + 1)  # type: ignore[arg-type]


def test_production_refuses_cheap_bcrypt() -> None:
    with pytest.raises(ValidationError, match="BCRYPT"):
        CommandSettings(env="production", jwt_secret="x" * 40, bcrypt_rounds=10)  # type: ignore[arg-type]


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PARLEY_ENV", "production")
    monkeypatch.setenv("PARLEY_JWT_SECRET", "y" * 40)
    monkeypatch.setenv("PARLEY_MONGODB_DB", "elsewhere")
    settings = Settings()
    assert settings.mongodb_db == "elsewhere"
    assert settings.views_db == "elsewhere_views"


async def test_replica_set_settings_reach_the_driver() -> None:
    single = create_client(Settings())
    assert single.write_concern.document == {} and single.read_preference.mode == 0  # the server's defaults
    cluster = create_client(
        Settings(
            mongodb_write_concern="majority",
            mongodb_journal=True,
            mongodb_read_preference="primaryPreferred",
            mongodb_replica_set="rs0",
        )
    )
    assert cluster.write_concern.document == {"w": "majority", "j": True}
    assert cluster.read_preference.mongos_mode == "primaryPreferred"
    assert cluster.options.replica_set_name == "rs0"
    await single.close()
    await cluster.close()

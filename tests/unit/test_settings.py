from __future__ import annotations

import pytest
from pydantic import ValidationError

from command_api.settings import CommandSettings
from shared.settings import PLACEHOLDER_SECRET, Settings


def test_development_runs_with_the_placeholder_secret() -> None:
    assert Settings(env="development").jwt_secret.get_secret_value() == PLACEHOLDER_SECRET


@pytest.mark.parametrize("secret", [PLACEHOLDER_SECRET, "short", ""])
def test_production_refuses_placeholder_or_weak_secret(secret: str) -> None:
    with pytest.raises(ValidationError, match="PARLEY_JWT_SECRET"):
        Settings(env="production", jwt_secret=secret)  # type: ignore[arg-type]


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

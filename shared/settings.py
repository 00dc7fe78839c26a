"""Settings shared by every Parley process, read from the environment (prefix ``PARLEY_``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# The development default. Any environment other than development refuses to start with it.
PLACEHOLDER_SECRET = "parley-development-secret-change-me"
MIN_SECRET_LENGTH = 32


class Settings(BaseSettings):
    """The base every service's settings extend."""

    model_config = SettingsConfigDict(env_prefix="PARLEY_", env_file=".env", extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    service_name: str = "parley"
    log_level: str = "INFO"
    log_format: Literal["json", "console"] = "json"

    mongodb_url: str = "mongodb://127.0.0.1:27017"
    mongodb_db: str = "parley"
    # How long a MongoDB operation may wait for a server before failing (and the API answering 503).
    mongodb_timeout_ms: int = 5000

    nats_url: str = "nats://127.0.0.1:4222"
    nats_stream: str = "PARLEY"
    subject_prefix: str = "chat.events"
    # Ephemeral signals between realtime nodes (typing): plain NATS, never stored in the stream.
    live_subject_prefix: str = "chat.live"

    jwt_secret: SecretStr = SecretStr(PLACEHOLDER_SECRET)
    # Access tokens are short-lived; the web client renews them with the refresh cookie while it is open
    # (POST /api/auth/refresh). A revocation is remembered in memory for this long (shared/sessions.py).
    jwt_ttl_seconds: int = Field(default=15 * 60, ge=5, le=24 * 3600)

    # Media: the content-addressed folder (the command API writes it, the query API serves it), and how long the
    # signed URLs handed to clients stay valid (a URL lives between one and two of these, see shared/media_urls.py).
    media_dir: str = ".data/media"
    media_url_ttl_seconds: int = 3600

    # Accounts allowed to read the audit trail (GET /api/audit/events), by email, comma-separated.
    admin_emails: str = ""

    # Browser origins allowed to open sockets and call the APIs (comma-separated).
    allowed_origins: str = "http://localhost:8080,http://127.0.0.1:8080"

    @property
    def views_db(self) -> str:
        """Read models live in their own database: rebuildable, and (on FerretDB/SQLite) a separate writer."""
        return f"{self.mongodb_db}_views"

    @property
    def origins(self) -> list[str]:
        return [o.strip() for o in self.allowed_origins.split(",") if o.strip()]

    @property
    def admins(self) -> frozenset[str]:
        return frozenset(e.strip().lower() for e in self.admin_emails.split(",") if e.strip())

    @property
    def is_development(self) -> bool:
        return self.env == "development"

    @model_validator(mode="after")
    def _refuse_placeholder_secret(self) -> Settings:
        secret = self.jwt_secret.get_secret_value()
        if not self.is_development and (secret == PLACEHOLDER_SECRET or len(secret) < MIN_SECRET_LENGTH):
            raise ValueError(
                f"PARLEY_JWT_SECRET must be set to a random string of at least {MIN_SECRET_LENGTH} "
                f"characters when PARLEY_ENV={self.env}"
            )
        return self

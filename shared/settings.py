"""Settings shared by every Parley process, read from the environment (prefix ``PARLEY_``)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.auth import MIN_SECRET_LENGTH, weak_secret

# Signed media URLs live between one and two TTLs; a leaked URL must not stay usable for days.
MAX_MEDIA_URL_TTL_SECONDS = 12 * 3600


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
    # Settings that matter on a MongoDB replica set (docs/operations.md, "Running a cluster"); the defaults suit one
    # server, and FerretDB. Write concern: "1" (the primary took it) or "majority" (most members did: an append
    # survives the loss of the primary; each write waits for a secondary's acknowledgement).
    mongodb_write_concern: Literal["1", "majority"] = "1"
    # Whether a write waits for the journal (on disk) before it is acknowledged; unset: the server's default.
    mongodb_journal: bool | None = None
    # Where reads go: the primary (read-your-writes, what the services assume), or nearby secondaries.
    mongodb_read_preference: Literal["primary", "primaryPreferred"] = "primary"
    # The replica set's name, when the URL does not give it (`?replicaSet=`).
    mongodb_replica_set: str | None = None

    # One URL, or several separated by commas (the servers of a NATS cluster).
    nats_url: str = "nats://127.0.0.1:4222"
    # How many NATS servers keep a copy of the event stream (1, or 3 in a cluster of three).
    nats_stream_replicas: int = Field(default=1, ge=1, le=5)
    nats_stream: str = "PARLEY"
    subject_prefix: str = "chat.events"
    # Ephemeral signals between realtime nodes (typing): plain NATS, never stored in the stream.
    live_subject_prefix: str = "chat.live"

    # No default: a secret in the source signs nothing. `make up` makes random ones in .data/secrets.env
    # (scripts/dev-secrets.sh); tests make their own per stack; compose and production pass them in.
    jwt_secret: SecretStr = SecretStr("")
    # The key of signed media URLs, separate from the JWT secret; when unset it is derived from the JWT secret
    # (shared/media_urls.py), never a known value.
    media_url_key: SecretStr = SecretStr("")
    # Access tokens are short-lived; the web client renews them with the refresh cookie while it is open
    # (POST /api/auth/refresh). A revocation is remembered in memory for this long (shared/sessions.py).
    jwt_ttl_seconds: int = Field(default=15 * 60, ge=5, le=24 * 3600)

    # Media: the content-addressed folder (the command API writes it, the query API serves it), and how long the
    # signed URLs handed to clients stay valid (a URL lives between one and two of these, see shared/media_urls.py).
    media_dir: str = ".data/media"
    media_url_ttl_seconds: int = Field(default=3600, ge=60, le=MAX_MEDIA_URL_TTL_SECONDS)

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
    def is_development(self) -> bool:
        return self.env == "development"

    # Services that sign or check tokens and media URLs refuse to start without a strong secret, in every
    # environment; the projector, the CLI and the bus tests never sign and may run without one.
    signs: ClassVar[bool] = False

    @model_validator(mode="after")
    def _refuse_missing_or_known_secret(self) -> Settings:
        for name, value, required in (
            ("PARLEY_JWT_SECRET", self.jwt_secret, self.signs),
            ("PARLEY_MEDIA_URL_KEY", self.media_url_key, False),
        ):
            secret = value.get_secret_value()
            if not secret and not required:
                continue
            problem = weak_secret(secret)
            if problem:
                raise ValueError(
                    f"{name} {problem}: set it to a random string of at least {MIN_SECRET_LENGTH} characters "
                    "(for example `openssl rand -hex 32`); `make up` makes one in .data/secrets.env"
                )
        return self

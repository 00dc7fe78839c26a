"""Settings of the command API."""

from __future__ import annotations

from pydantic import model_validator

from shared.settings import Settings


class CommandSettings(Settings):
    service_name: str = "command_api"
    port: int = 8001

    # bcrypt cost; production refuses less than 12. Tests and benchmarks may lower it outside production.
    bcrypt_rounds: int = 12

    # A session (its refresh cookie) lasts this long without being used; each renewal starts it again.
    refresh_ttl_seconds: int = 30 * 24 * 3600
    # The refresh cookie is Secure (HTTPS only) unless set otherwise; by default only in production.
    refresh_cookie_secure: bool | None = None

    # Failed logins allowed per email (and, ten times that, per client address) in one window.
    login_max_failures: int = 5
    login_window_seconds: int = 900

    # Messages per second a sender may sustain, and the burst allowed above it.
    message_rate: float = 20.0
    message_burst: float = 40.0

    # Profile changes (name, picture) an account may make: a burst, then this many per minute. Each is pushed to
    # every connected user.
    profile_changes_per_minute: float = 6.0
    profile_burst: float = 10.0
    # Sign-ups per client address per hour (a whole office behind one address can still join at once).
    signups_per_hour: float = 100.0

    # Uploads per user per day (UTC): how many, and how many bytes in all (429 past either).
    uploads_per_day: int = 500
    upload_bytes_per_day: int = 2 * 1024 * 1024 * 1024

    # Presence: how long a user with no socket left stays "online" (a reload must not flash offline), and how
    # long a realtime node may stay silent before its sessions are expired.
    presence_grace_seconds: float = 5.0
    node_timeout_seconds: float = 30.0

    # JSON command bodies are small; uploads get their own limit.
    max_body_bytes: int = 64 * 1024
    max_upload_bytes: int = 25 * 1024 * 1024
    # Images with more pixels than this are refused (decompression bombs), animations with more in all frames.
    max_image_pixels: int = 50_000_000
    # Images decoded at once per process (each may take a few hundred MB at the pixel limit).
    image_workers: int = 2

    @property
    def cookie_secure(self) -> bool:
        return self.refresh_cookie_secure if self.refresh_cookie_secure is not None else self.env == "production"

    @model_validator(mode="after")
    def _bcrypt_cost(self) -> CommandSettings:
        if self.env == "production" and self.bcrypt_rounds < 12:
            raise ValueError("PARLEY_BCRYPT_ROUNDS must be at least 12 in production")
        if not 4 <= self.bcrypt_rounds <= 31:
            raise ValueError("PARLEY_BCRYPT_ROUNDS must be between 4 and 31")
        return self

"""Settings of the command API."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, model_validator

from shared.settings import Settings


class CommandSettings(Settings):
    service_name: str = "command_api"
    port: int = 8001
    signs: ClassVar[bool] = True

    # bcrypt cost; production refuses less than 12. Tests and benchmarks may lower it outside production.
    bcrypt_rounds: int = 12

    # A session (its refresh cookie) lasts this long without being used; each renewal starts it again.
    refresh_ttl_seconds: int = 30 * 24 * 3600
    # The refresh cookie is Secure (HTTPS only) unless set otherwise; by default only in production.
    refresh_cookie_secure: bool | None = None

    # Login throttle (command_api/throttle.py, docs/api.md): per (account, client address), this many failures per
    # window are free, then each attempt waits twice as long as the one before (starting at the back-off); per
    # account and per address, at most the limits below per window.
    login_max_failures: int = Field(default=5, ge=1, le=1000)
    login_window_seconds: int = Field(default=900, ge=1, le=86400)
    login_backoff_seconds: float = Field(default=2.0, gt=0, le=3600)
    login_account_limit: int = Field(default=100, ge=1, le=100_000)
    login_address_limit: int = Field(default=100, ge=1, le=100_000)

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
    # Frames per animation, and seconds of re-encoding per image (a GIF of 40,000 1x1 frames is a few pixels but
    # tens of seconds of work per frame bookkeeping); past either, 422.
    max_image_frames: int = Field(default=1000, ge=1, le=100_000)
    max_image_seconds: float = Field(default=10.0, gt=0, le=600)
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

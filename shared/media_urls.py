"""Short-lived signed media URLs, for ``<img>``/``<video>`` elements that cannot send a bearer token.

``/api/media/<id>?exp=<unix>&sig=<hmac>`` (and ``/api/media/<id>/thumbnail?...``): HMAC-SHA256 over the media id,
the variant and the expiry, with its own key (``PARLEY_MEDIA_URL_KEY``), or one derived from the JWT secret when
that is unset (either way a leaked URL key never signs a token, and the other way round). Whoever serves a message
or a profile to someone allowed to see it signs its media then; holding the URL is the permission until it expires.

Expiries are rounded up to the next multiple of the TTL, plus one TTL: a URL lives between one and two TTLs, and
every URL for one media signed within one TTL window is the same string, so browsers cache it. The TTL is bounded
(``MAX_MEDIA_URL_TTL_SECONDS``), and a URL claiming to live longer than two TTLs from now is refused, whatever its
signature.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass
from typing import Any, Literal

from shared.auth import weak_secret
from shared.settings import MAX_MEDIA_URL_TTL_SECONDS, Settings

Variant = Literal["original", "thumbnail"]
_KEY_LABEL = b"parley/media-url/v1"


def media_path(media_id: str, variant: Variant) -> str:
    return f"/api/media/{media_id}" + ("/thumbnail" if variant == "thumbnail" else "")


@dataclass(frozen=True, slots=True)
class MediaSigner:
    key: bytes
    ttl_seconds: int

    @classmethod
    def from_secret(cls, secret: str, ttl_seconds: int) -> MediaSigner:
        """A signer whose key is derived from ``secret`` (the JWT secret, or a dedicated media URL key)."""
        problem = weak_secret(secret)
        if problem:
            raise ValueError(f"refusing to sign media URLs with a secret that {problem}")
        if not 1 <= ttl_seconds <= MAX_MEDIA_URL_TTL_SECONDS:
            raise ValueError(f"the media URL TTL must be between 1 and {MAX_MEDIA_URL_TTL_SECONDS} seconds")
        return cls(hmac.new(secret.encode(), _KEY_LABEL, hashlib.sha256).digest(), ttl_seconds)

    @classmethod
    def from_settings(cls, settings: Settings) -> MediaSigner:
        secret = settings.media_url_key.get_secret_value() or settings.jwt_secret.get_secret_value()
        return cls.from_secret(secret, settings.media_url_ttl_seconds)

    def _sig(self, media_id: str, variant: Variant, exp: int) -> str:
        message = f"{media_id}\n{variant}\n{exp}".encode()
        return hmac.new(self.key, message, hashlib.sha256).hexdigest()

    def expiry(self, now: float | None = None) -> int:
        t = int(time.time() if now is None else now)
        return (t // self.ttl_seconds + 2) * self.ttl_seconds

    def url(self, media_id: str, variant: Variant = "original", *, now: float | None = None) -> str:
        exp = self.expiry(now)
        return f"{media_path(media_id, variant)}?exp={exp}&sig={self._sig(media_id, variant, exp)}"

    def verify(self, media_id: str, variant: Variant, exp: int, sig: str, *, now: float | None = None) -> bool:
        """True for a signature we made that has not expired (compared in constant time)."""
        t = time.time() if now is None else now
        if exp < t or exp > t + 2 * self.ttl_seconds:  # expired, or longer-lived than anything we sign
            return False
        return hmac.compare_digest(self._sig(media_id, variant, exp), sig)

    def media(self, media: dict[str, Any] | None, *, now: float | None = None) -> dict[str, Any] | None:
        """A message's media metadata with its ``url`` and (images) ``thumbnail_url`` signed."""
        if media is None:
            return None
        media_id = media["id"]
        thumbnail = self.url(media_id, "thumbnail", now=now) if media.get("kind") == "image" else None
        return {**media, "url": self.url(media_id, now=now), "thumbnail_url": thumbnail}

    def message(self, message: dict[str, Any], *, now: float | None = None) -> dict[str, Any]:
        """A message payload as served: the same dict's fields, media URLs signed."""
        if message.get("media") is None:
            return message
        return {**message, "media": self.media(message["media"], now=now)}

    def avatar(self, media_id: str | None, *, now: float | None = None) -> str | None:
        """The avatar URL (the upload's thumbnail) for a profile, None without an avatar."""
        return self.url(media_id, "thumbnail", now=now) if media_id else None

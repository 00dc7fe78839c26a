"""The refresh token travels in an HttpOnly cookie, so page scripts never hold anything that outlives 15 minutes.

``SameSite=Strict`` and ``Path=/api/auth`` keep it off every other request and out of cross-site ones; ``Secure``
in production (``PARLEY_REFRESH_COOKIE_SECURE``).
"""

from __future__ import annotations

from fastapi import Response

from command_api.settings import CommandSettings
from shared.auth import create_token

COOKIE = "parley_refresh"
COOKIE_PATH = "/api/auth"


def issue_session(
    response: Response, settings: CommandSettings, user_id: str, *, session_id: str, generation: int
) -> str:
    """Set a fresh refresh cookie for the session and return a new access token of it."""
    secret = settings.jwt_secret.get_secret_value()
    refresh = create_token(
        user_id,
        secret=secret,
        ttl_seconds=settings.refresh_ttl_seconds,
        session_id=session_id,
        generation=generation,
        kind="refresh",
    )
    response.set_cookie(
        COOKIE,
        refresh,
        max_age=settings.refresh_ttl_seconds,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=settings.cookie_secure,
    )
    return create_token(
        user_id, secret=secret, ttl_seconds=settings.jwt_ttl_seconds, session_id=session_id, generation=generation
    )


def clear_session(response: Response, settings: CommandSettings) -> None:
    response.delete_cookie(COOKIE, path=COOKIE_PATH, httponly=True, samesite="strict", secure=settings.cookie_secure)

"""Sessions: renew the access token, log out, log out everywhere, change the password."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Cookie, HTTPException, Response, status
from fastapi.responses import JSONResponse
from pydantic import AfterValidator, Field

from command_api.deps import CurrentClaims, EventStoreDep, PasswordRateDep, SessionsDep, SettingsDep
from command_api.domain.rules import new_password
from command_api.rate_limit import too_many
from command_api.session_cookie import COOKIE, clear_session, issue_session
from shared.auth import InvalidToken, check_password, decode_token, hash_password
from shared.events import UserRegistered
from shared.logging import request_id_var
from shared.schemas import Out
from shared.streams import user_stream
from shared.validation import SafeStr, StrictBody
from shared.web import error_body

router = APIRouter(prefix="/api/auth", tags=["auth"])

SESSION_ENDED = "your session has ended; log in again"


class RefreshResponse(Out):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int


class ChangePassword(StrictBody):
    current_password: Annotated[SafeStr, Field(max_length=1000)]
    new_password: Annotated[SafeStr, Field(max_length=1000), AfterValidator(new_password)]


def _ended() -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, SESSION_ENDED, headers={"WWW-Authenticate": "Bearer"})


@router.post("/refresh", responses={401: {"description": "No refresh cookie, or the session has ended"}})
async def refresh(
    response: Response,
    settings: SettingsDep,
    sessions: SessionsDep,
    parley_refresh: Annotated[str | None, Cookie(alias=COOKIE, max_length=4096)] = None,
) -> RefreshResponse:
    """Renew the session of the refresh cookie: a new access token, and the cookie's lifetime starts again."""
    if not parley_refresh:
        raise _ended()
    try:
        claims = decode_token(parley_refresh, secret=settings.jwt_secret.get_secret_value(), kind="refresh")
    except InvalidToken:
        clear_session(response, settings)
        raise _ended() from None
    generation = await sessions.renewable(claims)
    if generation is None:
        raise _ended()
    token = issue_session(response, settings, claims.user_id, session_id=claims.session_id, generation=generation)
    return RefreshResponse(access_token=token, expires_in=settings.jwt_ttl_seconds)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(claims: CurrentClaims, settings: SettingsDep, sessions: SessionsDep) -> Response:
    """End this session: its tokens and its sockets stop working at once (the other sessions go on)."""
    await sessions.end_session(claims, correlation_id=request_id_var.get())
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    clear_session(response, settings)
    return response


@router.post("/logout-all", status_code=status.HTTP_204_NO_CONTENT)
async def logout_all(claims: CurrentClaims, settings: SettingsDep, sessions: SessionsDep) -> Response:
    """End every session of your account, this one included, on every device."""
    await sessions.end_all(
        claims.user_id, reason="logout_everywhere", kept_session_id=None, correlation_id=request_id_var.get()
    )
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    clear_session(response, settings)
    return response


@router.post(
    "/password",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={
        422: {"description": "Wrong current password, or the new one is invalid"},
        429: {"description": "Too many attempts"},
    },
)
async def change_password(
    body: ChangePassword,
    claims: CurrentClaims,
    settings: SettingsDep,
    store: EventStoreDep,
    sessions: SessionsDep,
    attempts: PasswordRateDep,
) -> Response:
    """Change your password (give the current one); every other session of your account ends."""
    # A stolen access token must not become a fast oracle for the current password.
    wait = attempts.take(claims.user_id)
    if wait is not None:
        raise too_many("too many password changes, try again later", wait)
    # The user's stream is read, as a profile change reads it: rare, and never on the request path of a read.
    registered = next(
        (e for e in await store.read_stream(user_stream(claims.user_id)) if e.type == UserRegistered.event_type), None
    )
    if registered is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "user not found")
    if not await check_password(body.current_password, await sessions.password_hash(registered)):
        wrong = "is not your current password"
        errors = [{"loc": ["body", "current_password"], "msg": wrong, "type": "value_error"}]
        return JSONResponse(error_body(f"current_password: {wrong}", errors=errors), status_code=422)
    password_hash = await hash_password(body.new_password, rounds=settings.bcrypt_rounds)
    await sessions.change_password(claims, password_hash, correlation_id=request_id_var.get())
    return Response(status_code=status.HTTP_204_NO_CONTENT)

"""Accounts: register and log in."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, HTTPException, Request, Response, status

from command_api.deps import (
    DirectoryDep,
    EventStoreDep,
    LoginThrottleDep,
    RecorderDep,
    SessionsDep,
    SettingsDep,
    SignupRateDep,
)
from command_api.domain.accounts import LogIn, RegisterUser
from command_api.handlers import accounts
from command_api.rate_limit import too_many
from command_api.session_cookie import issue_session
from command_api.settings import CommandSettings
from command_api.throttle import Throttled
from shared.events import UserRegistered, new_id
from shared.logging import request_id_var
from shared.schemas import Out, OwnUserOut

router = APIRouter(prefix="/api/auth", tags=["auth"])


class AuthResponse(Out):
    # The command side does not track presence: the person signing in is plainly active.
    user: OwnUserOut
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    # Seconds the access token is valid for; renew it before then with POST /api/auth/refresh.
    expires_in: int


def _auth_response(
    data: UserRegistered, settings: CommandSettings, response: Response, *, generation: int
) -> AuthResponse:
    """A new session: its first access token in the answer, its refresh token in an HttpOnly cookie."""
    session_id = new_id()
    token = issue_session(response, settings, data.user_id, session_id=session_id, generation=generation)
    return AuthResponse(
        user=OwnUserOut(id=data.user_id, name=data.name, email=data.email, online=True),
        access_token=token,
        expires_in=settings.jwt_ttl_seconds,
    )


@router.post(
    "/register",
    status_code=status.HTTP_201_CREATED,
    responses={
        409: {"description": "Email already registered"},
        422: {"description": "Invalid input"},
        429: {"description": "Too many sign-ups from your address (`Retry-After`)"},
    },
)
async def register(
    body: RegisterUser,
    request: Request,
    response: Response,
    signups: SignupRateDep,
    settings: SettingsDep,
    store: EventStoreDep,
    recorder: RecorderDep,
    directory: DirectoryDep,
) -> AuthResponse:
    """Create an account (name, email, password) and return it with an access token."""
    wait = signups.take(request.client.host if request.client else "unknown")
    if wait is not None:
        raise too_many("too many sign-ups from your address, try again later", wait)
    account = await accounts.register(
        body,
        log=store,
        recorder=recorder,
        directory=directory,
        bcrypt_rounds=settings.bcrypt_rounds,
        correlation_id=request_id_var.get(),
    )
    return _auth_response(account, settings, response, generation=0)


INVALID_LOGIN = "invalid email or password"


@router.post(
    "/login",
    responses={401: {"description": "Unknown email or wrong password"}, 429: {"description": "Too many failures"}},
)
async def login(
    body: LogIn,
    request: Request,
    response: Response,
    settings: SettingsDep,
    store: EventStoreDep,
    throttle: LoginThrottleDep,
    sessions: SessionsDep,
) -> AuthResponse:
    """Exchange email and password for an access token."""
    # The address uvicorn took from the gateway's X-Forwarded-For (it trusts exactly the gateway, see docs/api.md).
    client = request.client.host if request.client else "unknown"
    # The attempt is counted before the password is checked: parallel guesses cannot overtake the count.
    attempt = await throttle.reserve(body.email, client)
    if isinstance(attempt, Throttled):
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            "too many failed logins, try again later",
            headers={"Retry-After": str(attempt.retry_after)},
        )
    account = await accounts.authenticate(body, log=store, sessions=sessions)
    if account is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, INVALID_LOGIN)
    await throttle.release(attempt)
    state = await sessions.user_state(account.user_id)
    return _auth_response(account, settings, response, generation=state.generation)

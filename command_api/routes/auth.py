"""Accounts: register and log in."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, HTTPException, Request, status
from pydantic import BaseModel

from command_api.deps import DirectoryDep, EventStoreDep, LoginThrottleDep, RecorderDep, SettingsDep
from command_api.domain.accounts import LogIn, RegisterUser, email_key, register_user
from command_api.throttle import Throttled
from shared.auth import check_password, check_password_against_nothing, create_access_token, hash_password
from shared.events import Envelope, UserRegistered, new_id
from shared.logging import request_id_var
from shared.settings import Settings

router = APIRouter(prefix="/api/auth", tags=["auth"])


class PublicUser(BaseModel):
    id: str
    name: str
    email: str
    avatar: str | None = None


class AuthResponse(BaseModel):
    user: PublicUser
    access_token: str
    token_type: Literal["bearer"] = "bearer"


def _auth_response(event: Envelope, settings: Settings) -> AuthResponse:
    data = event.decode()
    assert isinstance(data, UserRegistered)
    token = create_access_token(
        data.user_id, secret=settings.jwt_secret.get_secret_value(), ttl_seconds=settings.jwt_ttl_seconds
    )
    return AuthResponse(user=PublicUser(id=data.user_id, name=data.name, email=data.email), access_token=token)


EMAIL_TAKEN = "an account with this email already exists"


@router.post(
    "/register",
    status_code=status.HTTP_201_CREATED,
    responses={409: {"description": "Email already registered"}, 422: {"description": "Invalid input"}},
)
async def register(
    body: RegisterUser, settings: SettingsDep, store: EventStoreDep, recorder: RecorderDep, directory: DirectoryDep
) -> AuthResponse:
    """Create an account (name, email, password) and return it with an access token."""
    # A cheap early answer; the store's unique key settles concurrent registrations of one email.
    if await store.find_by_idempotency_key(email_key(body.email), exhaustive=False) is not None:
        raise HTTPException(status.HTTP_409_CONFLICT, EMAIL_TAKEN)
    password_hash = await hash_password(body.password, rounds=settings.bcrypt_rounds)
    new = register_user(body, user_id=new_id(), password_hash=password_hash, correlation_id=request_id_var.get())
    # The email key stays quick to find for every login, however long the log grows.
    result = await recorder.record(new, expected_version=0, remember_key=True)
    if not result.created:
        raise HTTPException(status.HTTP_409_CONFLICT, EMAIL_TAKEN)
    directory.add(result.event.data["user_id"])
    return _auth_response(result.event, settings)


INVALID_LOGIN = "invalid email or password"


@router.post(
    "/login",
    responses={401: {"description": "Unknown email or wrong password"}, 429: {"description": "Too many failures"}},
)
async def login(
    body: LogIn, request: Request, settings: SettingsDep, store: EventStoreDep, throttle: LoginThrottleDep
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
    event = await store.find_by_idempotency_key(email_key(body.email))
    if event is None:
        await check_password_against_nothing(body.password)
        ok = False
    else:
        ok = await check_password(body.password, event.data["password_hash"])
    if not ok or event is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, INVALID_LOGIN)
    await throttle.release(attempt)
    return _auth_response(event, settings)

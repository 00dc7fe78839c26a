"""Passwords (bcrypt, called directly) and access tokens (JWT, HS256 only)."""

from __future__ import annotations

import asyncio
import functools
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import bcrypt
import jwt

ALGORITHM = "HS256"
MAX_PASSWORD_BYTES = 72  # bcrypt's limit; longer passwords are refused, never silently truncated
MIN_SECRET_LENGTH = 32
# Secrets that were ever in Parley's source: anyone can sign with them, so nothing here ever does.
PUBLISHED_SECRETS = frozenset({"parley-development-secret-change-me"})


def weak_secret(secret: str) -> str | None:
    """Why ``secret`` must not sign anything (missing, short, or published), None when it may."""
    if not secret:
        return "is not set"
    if secret in PUBLISHED_SECRETS:
        return "is a value published in Parley's source"
    if len(secret) < MIN_SECRET_LENGTH:
        return f"is shorter than {MIN_SECRET_LENGTH} characters"
    return None


def _signing_key(secret: str) -> str:
    # The last line of defence behind the settings check: no code path signs or verifies with a known secret.
    problem = weak_secret(secret)
    if problem:
        raise ValueError(f"refusing to sign with a secret that {problem}")
    return secret


class InvalidToken(Exception):
    """A token that is missing, malformed, forged, expired or of the wrong algorithm."""


@dataclass(frozen=True, slots=True)
class TokenClaims:
    user_id: str
    token_id: str
    issued_at: datetime
    expires_at: datetime


def _hash_password_sync(password: str, rounds: int) -> str:
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=rounds)).decode()


def _check_password_sync(password: str, password_hash: str) -> bool:
    try:
        return bcrypt.checkpw(password.encode(), password_hash.encode())
    except ValueError:  # a malformed stored hash, or a password bcrypt refuses
        return False


async def hash_password(password: str, *, rounds: int) -> str:
    """bcrypt hash, computed in a thread: at cost 12 it takes a quarter of a second of CPU."""
    if len(password.encode()) > MAX_PASSWORD_BYTES:
        raise ValueError("password longer than 72 bytes")
    return await asyncio.to_thread(_hash_password_sync, password, rounds)


async def check_password(password: str, password_hash: str) -> bool:
    return await asyncio.to_thread(_check_password_sync, password, password_hash)


@functools.cache
def _dummy_hash() -> str:
    # A real hash of a random password: checking against it costs what a real check costs, so a login for an
    # unknown email takes as long as one with a wrong password.
    return _hash_password_sync(uuid.uuid4().hex, 12)


async def check_password_against_nothing(password: str) -> bool:
    dummy = await asyncio.to_thread(_dummy_hash)
    await check_password(password, dummy)
    return False


def create_access_token(user_id: str, *, secret: str, ttl_seconds: int) -> str:
    issued = datetime.now(UTC)
    claims = {
        "sub": user_id,
        "iat": issued,
        "exp": issued + timedelta(seconds=ttl_seconds),
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, _signing_key(secret), algorithm=ALGORITHM)


def decode_access_token(token: str, *, secret: str) -> TokenClaims:
    """Verify signature (HS256 only), expiry and required claims; the one check HTTP and sockets share."""
    try:
        claims = jwt.decode(
            token,
            _signing_key(secret),
            algorithms=[ALGORITHM],
            options={"require": ["sub", "iat", "exp", "jti"]},
        )
    except jwt.PyJWTError as exc:
        raise InvalidToken(str(exc)) from exc
    sub, jti = claims.get("sub"), claims.get("jti")
    if not isinstance(sub, str) or not sub or not isinstance(jti, str):
        raise InvalidToken("malformed claims")
    return TokenClaims(
        user_id=sub,
        token_id=jti,
        issued_at=datetime.fromtimestamp(int(claims["iat"]), UTC),
        expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC),
    )

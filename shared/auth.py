"""Passwords (bcrypt, called directly) and access tokens (JWT, HS256 only)."""

from __future__ import annotations

import asyncio
import functools
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

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


TokenKind = Literal["access", "refresh"]


@dataclass(frozen=True, slots=True)
class TokenClaims:
    user_id: str
    token_id: str
    issued_at: datetime
    expires_at: datetime
    # The session (one login) the token belongs to: every renewal keeps it, logging out ends it.
    session_id: str
    # The user's session generation when the session was last vouched for: "log out everywhere" and a password
    # change raise it, which ends every token of an older generation (see shared/sessions.py).
    generation: int


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


def create_token(
    user_id: str,
    *,
    secret: str,
    ttl_seconds: int,
    session_id: str | None = None,
    generation: int = 0,
    kind: TokenKind = "access",
) -> str:
    """A signed token of ``kind``; without ``session_id`` it starts a new session."""
    issued = datetime.now(UTC)
    claims = {
        "sub": user_id,
        "iat": issued,
        "exp": issued + timedelta(seconds=ttl_seconds),
        "jti": uuid.uuid4().hex,
        "sid": session_id or uuid.uuid4().hex,
        "gen": generation,
        "typ": kind,
    }
    return jwt.encode(claims, _signing_key(secret), algorithm=ALGORITHM)


def create_access_token(
    user_id: str, *, secret: str, ttl_seconds: int, session_id: str | None = None, generation: int = 0
) -> str:
    return create_token(user_id, secret=secret, ttl_seconds=ttl_seconds, session_id=session_id, generation=generation)


def decode_token(token: str, *, secret: str, kind: TokenKind) -> TokenClaims:
    """Verify signature (HS256 only), expiry, kind and required claims."""
    try:
        claims = jwt.decode(
            token,
            _signing_key(secret),
            algorithms=[ALGORITHM],
            options={"require": ["sub", "iat", "exp", "jti", "sid", "gen", "typ"]},
        )
    except jwt.PyJWTError as exc:
        raise InvalidToken(str(exc)) from exc
    sub, jti, sid, gen = claims.get("sub"), claims.get("jti"), claims.get("sid"), claims.get("gen")
    if claims.get("typ") != kind:
        raise InvalidToken(f"not an {kind} token")
    if (
        not isinstance(sub, str)
        or not sub
        or not isinstance(jti, str)
        or not isinstance(sid, str)
        or not sid
        or isinstance(gen, bool)
        or not isinstance(gen, int)
    ):
        raise InvalidToken("malformed claims")
    return TokenClaims(
        user_id=sub,
        token_id=jti,
        issued_at=datetime.fromtimestamp(int(claims["iat"]), UTC),
        expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC),
        session_id=sid,
        generation=gen,
    )


def decode_access_token(token: str, *, secret: str) -> TokenClaims:
    """The one signature-and-claims check HTTP and sockets share (revocation is checked by the caller)."""
    return decode_token(token, secret=secret, kind="access")

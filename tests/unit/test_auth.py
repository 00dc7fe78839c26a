from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from command_api.settings import CommandSettings
from shared.auth import (
    InvalidToken,
    check_password,
    create_access_token,
    decode_access_token,
    hash_password,
)

SECRET = "s" * 40


def test_token_round_trip() -> None:
    token = create_access_token("user-1", secret=SECRET, ttl_seconds=60)
    claims = decode_access_token(token, secret=SECRET)
    assert claims.user_id == "user-1"
    assert claims.expires_at - claims.issued_at == timedelta(seconds=60)
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    assert set(jwt.decode(token, SECRET, algorithms=["HS256"])) == {"sub", "iat", "exp", "jti", "sid", "gen", "typ"}


def test_expired_token_refused() -> None:
    token = create_access_token("user-1", secret=SECRET, ttl_seconds=-1)
    with pytest.raises(InvalidToken):
        decode_access_token(token, secret=SECRET)


def test_wrong_secret_refused() -> None:
    token = create_access_token("user-1", secret="other" * 10, ttl_seconds=60)
    with pytest.raises(InvalidToken):
        decode_access_token(token, secret=SECRET)


def _b64(obj: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()


def test_alg_none_refused() -> None:
    now = int(datetime.now(UTC).timestamp())
    token = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64({'sub': 'u', 'iat': now, 'exp': now + 60, 'jti': 'j'})}."
    with pytest.raises(InvalidToken):
        decode_access_token(token, secret=SECRET)


def test_other_algorithm_refused() -> None:
    now = datetime.now(UTC)
    token = jwt.encode(
        {"sub": "u", "iat": now, "exp": now + timedelta(minutes=1), "jti": "j"}, SECRET, algorithm="HS512"
    )
    with pytest.raises(InvalidToken):
        decode_access_token(token, secret=SECRET)


def test_missing_claims_refused() -> None:
    token = jwt.encode({"sub": "u"}, SECRET, algorithm="HS256")
    with pytest.raises(InvalidToken):
        decode_access_token(token, secret=SECRET)


@pytest.mark.parametrize("token", ["", "garbage", "a.b.c", "ey.ey.ey"])
def test_garbage_refused(token: str) -> None:
    with pytest.raises(InvalidToken):
        decode_access_token(token, secret=SECRET)


async def test_password_hash_uses_cost_12_by_default() -> None:
    rounds = CommandSettings(jwt_secret=SECRET).bcrypt_rounds  # type: ignore[arg-type]
    assert rounds == 12
    hashed = await hash_password("correct horse", rounds=rounds)
    assert hashed.startswith("$2b$12$")
    assert await check_password("correct horse", hashed)
    assert not await check_password("wrong horse", hashed)


async def test_password_over_72_bytes_is_refused_not_truncated() -> None:
    with pytest.raises(ValueError):
        await hash_password("x" * 73, rounds=4)
    assert not await check_password("x" * 73, await hash_password("x" * 72, rounds=4))

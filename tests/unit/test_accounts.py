from __future__ import annotations

import pytest
from pydantic import ValidationError

from command_api.domain.accounts import LogIn, RegisterUser, email_key, register_user
from shared.events import UserRegistered


def valid(**overrides: str) -> dict[str, str]:
    return {"name": "Ada Lovelace", "email": "ada@example.com", "password": "correct horse", **overrides}


def test_register_trims_name_and_normalizes_email() -> None:
    command = RegisterUser.model_validate(valid(name="  Ada  ", email="  Ada.L@Example.COM "))
    assert command.name == "Ada"
    assert command.email == "ada.l@example.com"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", ""),
        ("name", "    "),
        ("name", "x" * 51),
        ("name", "a\x00b"),
        ("name", "tab\tin name"),
        ("email", "not-an-email"),
        ("email", ""),
        ("email", "a\x00@example.com"),
        ("password", "short"),
        ("password", "é" * 37),  # 74 bytes of UTF-8: refused, never truncated
        ("password", "x" * 73),
    ],
)
def test_register_refuses(field: str, value: str) -> None:
    with pytest.raises(ValidationError) as info:
        RegisterUser.model_validate(valid(**{field: value}))
    assert info.value.errors()[0]["loc"][0] == field


def test_register_accepts_limits() -> None:
    RegisterUser.model_validate(valid(name="x" * 50, password="x" * 72))
    RegisterUser.model_validate(valid(name="😀" * 50, password="é" * 36))
    RegisterUser.model_validate(valid(password="12345678"))


def test_register_refuses_unknown_fields() -> None:
    with pytest.raises(ValidationError):
        RegisterUser.model_validate({**valid(), "admin": True})


def test_login_normalizes_email() -> None:
    assert LogIn.model_validate({"email": " BOB@example.com", "password": "x"}).email == "bob@example.com"


def test_register_decision_is_keyed_by_email() -> None:
    command = RegisterUser.model_validate(valid(email="Ada@Example.com"))
    event = register_user(command, user_id="u1", password_hash="hash", correlation_id="req-1")
    assert event.stream == "user:u1"
    assert event.idempotency_key == email_key("ada@example.com") == "user-email:ada@example.com"
    assert event.data == UserRegistered(
        user_id="u1", name="Ada Lovelace", email="ada@example.com", password_hash="hash"
    )
    assert event.correlation_id == "req-1"

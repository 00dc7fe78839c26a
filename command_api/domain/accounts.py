"""Accounts: the RegisterUser command, its validation, and the decision that yields UserRegistered."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, EmailStr, Field

from command_api.domain.rules import display_name, new_password
from shared.accounts import email_key, normalize_email
from shared.events import NewEvent, UserRegistered
from shared.streams import user_stream
from shared.validation import SafeStr, StrictBody

__all__ = ["email_key", "normalize_email"]


def _email(value: str) -> str:
    return normalize_email(value)


class RegisterUser(StrictBody):
    name: Annotated[SafeStr, Field(max_length=500), AfterValidator(display_name)]
    email: Annotated[
        SafeStr, Field(max_length=254), AfterValidator(lambda v: v.strip()), EmailStr, AfterValidator(_email)
    ]
    password: Annotated[SafeStr, Field(max_length=1000), AfterValidator(new_password)]


class LogIn(StrictBody):
    email: Annotated[SafeStr, Field(max_length=1000), AfterValidator(_email)]
    password: Annotated[SafeStr, Field(max_length=1000)]


def register_user(command: RegisterUser, *, user_id: str, password_hash: str, correlation_id: str | None) -> NewEvent:
    """Decide a registration. Email uniqueness is left to the store (the key), where races are settled."""
    return NewEvent(
        stream=user_stream(user_id),
        data=UserRegistered(user_id=user_id, name=command.name, email=command.email, password_hash=password_hash),
        actor_id=user_id,
        idempotency_key=email_key(command.email),
        correlation_id=correlation_id,
    )

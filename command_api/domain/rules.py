"""What every family of commands shares: the ways a well-formed command is refused, and the rules for a person's
name and a new password (registration, profile changes and password changes apply the same ones)."""

from __future__ import annotations

from shared.auth import MAX_PASSWORD_BYTES
from shared.validation import visible_text

MIN_PASSWORD_CHARS = 8
MAX_NAME_CHARS = 50


class DecisionError(ValueError):
    """A command that is well-formed but not allowed; the API answers 422 with this message."""


class NotFound(Exception):
    """A command about someone or something that does not exist; the API answers 404 with this message."""


class AlreadyExists(Exception):
    """A command that would create what exists already (an account for a taken email); the API answers 409."""


def display_name(value: str) -> str:
    """A person's name as shown to others: trimmed, visible characters only, 1 to 50 of them."""
    name = value.strip()
    if not name:
        raise ValueError("must not be empty")
    if len(name) > MAX_NAME_CHARS:
        raise ValueError(f"must be at most {MAX_NAME_CHARS} characters")
    return visible_text(name)


def new_password(value: str) -> str:
    if len(value) < MIN_PASSWORD_CHARS:
        raise ValueError(f"must be at least {MIN_PASSWORD_CHARS} characters")
    if len(value.encode()) > MAX_PASSWORD_BYTES:
        raise ValueError(f"must be at most {MAX_PASSWORD_BYTES} bytes in UTF-8")
    return value

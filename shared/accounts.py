"""Account contracts both sides rely on: how an email is compared, and the key that holds one account per email."""

from __future__ import annotations


def normalize_email(email: str) -> str:
    """Emails are compared trimmed and case-insensitively: one account per normalized email."""
    return email.strip().lower()


def email_key(email: str) -> str:
    """The idempotency key that makes the event store hold at most one account per email (found by ``_id`` in the
    log's index, see shared/stream_index.py)."""
    return f"user-email:{normalize_email(email)}"

"""Input types shared by the APIs: strings both MongoDB and FerretDB can store, refused early with a clear 422."""

from __future__ import annotations

import unicodedata
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


# Any string that reaches the store goes through this type.
SafeStr = Annotated[str, AfterValidator(_no_nul)]


# Invisible characters that join emoji and some scripts (ZWNJ in Persian, ZWJ in emoji sequences, the tags of
# subdivision flags); every other format character (bidi overrides and isolates, zero-width spaces, BOM, ...) can
# make a name read as something it is not.
_ALLOWED_FORMAT = frozenset({"\u200c", "\u200d"}) | frozenset(chr(c) for c in range(0xE0020, 0xE0080))


def visible_text(value: str) -> str:
    """Refuses control characters, bidirectional and other format characters, and line or paragraph separators
    (a display name shown to others must read as what it is)."""
    for ch in value:
        category = unicodedata.category(ch)
        if category in ("Cc", "Cs", "Zl", "Zp") or (category == "Cf" and ch not in _ALLOWED_FORMAT):
            raise ValueError(
                f"must not contain control, bidirectional or other invisible format characters (U+{ord(ch):04X})"
            )
    return value


class StrictBody(BaseModel):
    """Request bodies: unknown fields are refused, not ignored."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)

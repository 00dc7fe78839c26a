"""Input types shared by the APIs: strings both MongoDB and FerretDB can store, refused early with a clear 422."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


# Any string that reaches the store goes through this type.
SafeStr = Annotated[str, AfterValidator(_no_nul)]


class StrictBody(BaseModel):
    """Request bodies: unknown fields are refused, not ignored."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)

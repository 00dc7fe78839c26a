"""Settings of the query API."""

from __future__ import annotations

from typing import ClassVar

from shared.settings import Settings


class QuerySettings(Settings):
    service_name: str = "query_api"
    port: int = 8002
    signs: ClassVar[bool] = True
    max_body_bytes: int = 16 * 1024

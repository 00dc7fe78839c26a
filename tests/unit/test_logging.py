"""Service logging: one handler, one format, and the configured level for every logger, uvicorn's included."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from shared.logging import configure_logging


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    uvicorn = {name: logging.getLogger(name).level for name in ("uvicorn", "uvicorn.error", "uvicorn.access")}
    yield
    root.handlers[:], root.level = handlers, level
    for name, saved in uvicorn.items():
        logging.getLogger(name).setLevel(saved)


def test_uvicorns_lines_follow_the_configured_level() -> None:
    # uvicorn sets its loggers to its own --log-level (info) before it builds the app; a realtime node logged a
    # "WebSocket ... [accepted]" line per socket even with PARLEY_LOG_LEVEL=WARNING, a tenth of a connect storm's CPU.
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).setLevel(logging.INFO)
    configure_logging("test", "WARNING")
    assert not logging.getLogger("uvicorn.error").isEnabledFor(logging.INFO)
    assert logging.getLogger("uvicorn.error").isEnabledFor(logging.WARNING)
    configure_logging("test", "INFO")
    assert logging.getLogger("uvicorn.error").isEnabledFor(logging.INFO)
    # Access lines stay off: the services' middleware logs each request with its request id.
    assert not logging.getLogger("uvicorn.access").isEnabledFor(logging.INFO)

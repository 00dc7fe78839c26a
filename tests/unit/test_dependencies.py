"""No route of the HTTP services runs code in FastAPI's thread pool on its way in.

FastAPI calls a plain ``def`` dependency (or endpoint) in a worker thread: a thread round trip per call, which
cost the command API a tenth of its CPU under load. Blocking work belongs in explicit worker threads instead.
"""

from __future__ import annotations

import inspect
import secrets
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from command_api.main import create_app as create_command_app
from query_api.main import create_app as create_query_app


def _api_routes(routes: list[Any]) -> Iterator[APIRoute]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):  # a router included in the app
            yield from _api_routes(route.original_router.routes)
        elif hasattr(route, "routes"):
            yield from _api_routes(route.routes)


def _calls(dependant: Dependant) -> Iterator[Any]:
    if dependant.call is not None:
        yield dependant.call
    for sub in dependant.dependencies:
        yield from _calls(sub)


def _runs_on_the_loop(call: Any) -> bool:
    if inspect.iscoroutinefunction(call):
        return True
    # security schemes such as HTTPBearer are instances with an async __call__
    return inspect.iscoroutinefunction(type(call).__call__)


@pytest.mark.parametrize("create_app", [create_command_app, create_query_app], ids=["command", "query"])
def test_every_dependency_and_endpoint_is_async(create_app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PARLEY_JWT_SECRET", secrets.token_hex(32))
    app: FastAPI = create_app()
    routes = list(_api_routes(app.routes))
    assert len(routes) > 3
    blocking = sorted(
        f"{route.path}: {getattr(call, '__qualname__', call)}"
        for route in routes
        for call in _calls(route.dependant)
        if not _runs_on_the_loop(call)
    )
    assert blocking == []

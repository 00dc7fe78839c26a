"""HTTP plumbing both FastAPI services share: request ids, body limits, JSON errors, auth, health."""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pymongo.errors import ConnectionFailure, PyMongoError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.auth import InvalidToken, TokenClaims, decode_access_token
from shared.breaker import DatabaseAway, DatabaseBreaker
from shared.logging import request_id_var
from shared.sessions import Revocations
from shared.settings import Settings

log = logging.getLogger(__name__)

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def error_body(detail: Any, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"detail": detail}
    request_id = request_id_var.get()
    if request_id:
        body["request_id"] = request_id
    body.update(extra)
    return body


class RequestContextMiddleware:
    """Gives every request an id (the caller's ``X-Request-ID`` if sane), returns it, and logs the request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            if scope["path"] not in ("/healthz", "/readyz"):
                log.info(
                    "request",
                    extra={
                        "method": scope["method"],
                        "path": scope["path"],
                        "status": status,
                        "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                    },
                )
            request_id_var.reset(token)


class BodySizeLimitMiddleware:
    """Refuses request bodies over a limit with 413, whether or not they declare a Content-Length.

    Bodies are read (up to the limit) before the app sees them, so the answer is a clean 413 and never a parse
    error. Paths in ``streamed`` (uploads) are only checked against their declared length here; their handlers
    count the bytes they stream.
    """

    def __init__(self, app: ASGIApp, *, default_limit: int, streamed: Mapping[str, int] | None = None) -> None:
        self.app = app
        self.default_limit = default_limit
        self.streamed = dict(streamed or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        streamed_limit = next((v for k, v in self.streamed.items() if path.startswith(k)), None)
        limit = streamed_limit if streamed_limit is not None else self.default_limit
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _too_large(limit)(scope, receive, send)
            return
        if streamed_limit is not None:
            await self.app(scope, receive, send)
            return
        messages: list[Message] = []
        received = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            received += len(message.get("body", b""))
            if received > limit:
                await _too_large(limit)(scope, receive, send)
                return
            if not message.get("more_body", False):
                break

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)


class FailFastMiddleware:
    """While the app's database breaker (``app.state.breaker``, shared/breaker.py) is open, ``/api/`` requests get
    503 with a ``Retry-After`` at once instead of waiting for the database; health checks still run."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/api/"):
            breaker: DatabaseBreaker | None = getattr(scope["app"].state, "breaker", None)
            if breaker is not None and breaker.open:
                await _database_away(breaker)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _database_away(breaker: DatabaseBreaker | None) -> JSONResponse:
    headers = {"Retry-After": breaker.retry_after() if breaker else "2"}
    return JSONResponse(error_body("database unavailable, try again shortly"), status_code=503, headers=headers)


def _too_large(limit: int) -> JSONResponse:
    return JSONResponse(error_body(f"request body larger than {limit} bytes"), status_code=413)


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    # Never echo the input back: it may be a password.
    return [
        {"loc": list(err.get("loc", ())), "msg": err.get("msg", ""), "type": err.get("type", "")}
        for err in exc.errors()
    ]


def install_error_handlers(app: FastAPI) -> None:
    """Every error is JSON with a ``detail``; no stack trace ever reaches a client."""

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(error_body(exc.detail), status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _validation_errors(exc)
        first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
        field = next((str(p) for p in reversed(first["loc"]) if isinstance(p, str) and p != "body"), None)
        summary = f"{field}: {first['msg']}" if field else str(first["msg"])
        return JSONResponse(error_body(summary, errors=errors), status_code=422)

    @app.exception_handler(ConnectionFailure)
    async def database_down(request: Request, exc: ConnectionFailure) -> JSONResponse:
        breaker: DatabaseBreaker | None = getattr(request.app.state, "breaker", None)
        if not isinstance(exc, DatabaseAway):
            log.error("MongoDB unreachable: %s", exc)
            if breaker is not None:
                breaker.trip(exc)
        return _database_away(breaker)

    @app.exception_handler(PyMongoError)
    async def database_error(request: Request, exc: PyMongoError) -> JSONResponse:
        log.exception("MongoDB error")
        return JSONResponse(error_body("database error"), status_code=503)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return JSONResponse(error_body("internal error"), status_code=500)


def install_common(app: FastAPI, *, max_body_bytes: int, streamed: Mapping[str, int] | None = None) -> None:
    install_error_handlers(app)
    app.add_middleware(FailFastMiddleware)
    app.add_middleware(BodySizeLimitMiddleware, default_limit=max_body_bytes, streamed=streamed)
    app.add_middleware(RequestContextMiddleware)


_bearer = HTTPBearer(auto_error=False)


async def authenticated_claims(request: Request) -> TokenClaims:
    """The claims of a valid bearer token of a session that has not ended; 401 otherwise. HTTP's side of the one
    token check (the revocations are in memory: no database read)."""
    credentials: HTTPAuthorizationCredentials | None = await _bearer(request)
    if credentials is None:
        raise HTTPException(401, "not authenticated", headers={"WWW-Authenticate": "Bearer"})
    settings: Settings = request.app.state.settings
    try:
        claims = decode_access_token(credentials.credentials, secret=settings.jwt_secret.get_secret_value())
    except InvalidToken:
        raise HTTPException(401, "invalid or expired token", headers={"WWW-Authenticate": "Bearer"}) from None
    revocations: Revocations = request.app.state.revocations
    if revocations.ended(claims):
        raise HTTPException(401, "this session has ended; log in again", headers={"WWW-Authenticate": "Bearer"})
    return claims


async def authenticated_user_id(request: Request) -> str:
    """The user id of a valid bearer token of a live session; 401 otherwise."""
    return (await authenticated_claims(request)).user_id


HealthCheck = Callable[[], Awaitable[None]]


class NotReady(Exception):
    """Raised by a health check that can say what is wrong (shown as is in ``/healthz`` and ``/readyz``)."""


async def check_health(checks: Mapping[str, HealthCheck]) -> dict[str, str]:
    """Each dependency's state: "ok", what its ``NotReady`` says, or "unreachable: <error>" (2 s at most each)."""
    results: dict[str, str] = {}
    for name, check in checks.items():
        try:
            async with asyncio.timeout(2.0):
                await check()
            results[name] = "ok"
        except NotReady as exc:
            results[name] = str(exc)
        except Exception as exc:
            results[name] = f"unreachable: {type(exc).__name__}"
    return results


def liveness(service: str, results: Mapping[str, str]) -> dict[str, Any]:
    """``/healthz``'s answer: the process answers; dependency states are reported but do not fail it."""
    return {"status": "ok", "service": service, "dependencies": dict(results)}


def readiness(results: Mapping[str, str]) -> tuple[dict[str, Any], int]:
    """``/readyz``'s answer and status: 200 when every dependency is fine, 503 naming the ones that are not."""
    ready = all(v == "ok" for v in results.values())
    return {"status": "ready" if ready else "not ready", "dependencies": dict(results)}, 200 if ready else 503


def health_router(checks: Callable[[Request], Mapping[str, HealthCheck]]) -> APIRouter:
    """``/healthz`` (alive, with each dependency's state) and ``/readyz`` (503 while a dependency is down)."""
    router = APIRouter(tags=["health"])

    @router.get("/healthz")
    async def healthz(request: Request) -> dict[str, Any]:
        """Liveness: the process answers; dependency states are reported but do not fail it."""
        return liveness(request.app.title, await check_health(checks(request)))

    @router.get("/readyz")
    async def readyz(request: Request) -> JSONResponse:
        """Readiness: 200 when every dependency (MongoDB, NATS, and the service's own checks) is fine, 503 naming
        the ones that are not."""
        body, status_code = readiness(await check_health(checks(request)))
        return JSONResponse(body, status_code=status_code)

    return router

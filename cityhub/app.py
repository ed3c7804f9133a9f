"""Builds the ASGI app: mounts each subsystem's routes and turns every error into problem+json."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cityhub.api import (
    batch,
    catalog,
    citizen,
    ckan,
    dashboard,
    discovery,
    entities,
    evaluate,
    indicators,
    iot,
    open311,
    subscriptions,
    temporal,
    voice,
)
from cityhub.api.errors import shaped_error
from cityhub.api.http import ORJSONResponse, problem_response
from cityhub.api.openapi import build_openapi
from cityhub.api.routing import route
from cityhub.auth import policy
from cityhub.errors import (
    BadRequestData,
    CityHubError,
    InvalidRequest,
    MethodNotAllowed,
    ResourceNotFound,
)
from cityhub.hub import Hub

log = logging.getLogger("cityhub")
BackgroundTask = Callable[[Hub], Coroutine[Any, Any, None]]


async def _cityhub_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, CityHubError)
    return shaped_error(request, exc)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        return problem_response(ResourceNotFound(f"no resource at {request.url.path}"))
    if exc.status_code == 405:
        return problem_response(
            MethodNotAllowed(f"{request.method} is not supported on {request.url.path}")
        )
    error = InvalidRequest(str(exc.detail))
    error.status = exc.status_code
    return problem_response(error)


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return problem_response(CityHubError("the server failed; the error has been logged"))


async def _notifier(hub: Hub) -> None:
    await hub.notifier.run(hub.run)


async def _deadline_watch(hub: Hub, every: float = 60.0) -> None:
    """Escalate overdue citizen requests once a minute."""
    import asyncio

    while True:
        try:
            await hub.run(hub.requests.escalate_overdue)
        except CityHubError:
            log.exception("deadline watch failed; trying again in %s s", every)
        await asyncio.sleep(every)


async def _default_targets(hub: Hub) -> None:
    """Store the targets the indicator library carries, once at start (reads never write)."""
    try:
        await hub.run(hub.indicators.sync_targets)
    except CityHubError:
        log.exception("could not store the library's default targets")


async def _mqtt_bridge(hub: Hub) -> None:
    import os
    import socket

    from cityhub.ingest.mqtt_bridge import MqttBridge

    settings = hub.settings
    client_id = settings.mqtt_client_id or f"cityhub-{socket.gethostname()}-{os.getpid()}"
    hub.bridge = MqttBridge(hub.agent, settings.mqtt_url, client_id, settings.mqtt_group)
    await hub.bridge.run(hub.run)


class ResponseHeaders:
    """Base of the middlewares that add headers to a response: `extra` says which."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    def extra(self, scope: Scope, headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
        raise NotImplementedError

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                message["headers"] = headers + self.extra(scope, headers)
            await send(message)

        await self.app(scope, receive, send_with_headers)


class EchoTenant(ResponseHeaders):
    """NGSI-LD: a response carries the NGSILD-Tenant header of its request."""

    def extra(self, scope: Scope, headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
        tenant = next((v for k, v in scope["headers"] if k == b"ngsild-tenant"), None)
        return [(b"ngsild-tenant", tenant)] if tenant is not None else []


# Every answer: no sniffing, no framing, no referrer leaks; pages get a strict CSP (no inline
# script, no eval, nothing from another origin). A route may send a narrower CSP of its own.
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
API_CSP = "default-src 'none'; frame-ancestors 'none'"
_SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
]


class SecurityHeaders(ResponseHeaders):
    """Adds the safe-by-default headers to every response."""

    def extra(self, scope: Scope, headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
        names = {k.lower() for k, _ in headers}
        added = [h for h in _SECURITY_HEADERS if h[0] not in names]
        if b"content-security-policy" not in names:
            content_type = next((v for k, v in headers if k.lower() == b"content-type"), b"")
            csp = PAGE_CSP if content_type.startswith(b"text/html") else API_CSP
            added.append((b"content-security-policy", csp.encode()))
        return added


class RejectNul:
    """NUL characters cannot be stored as text (PostgreSQL refuses them): refuse them up front."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            raw = scope.get("raw_path") or scope["path"].encode()
            if b"%00" in raw or b"\x00" in raw or b"%00" in scope.get("query_string", b""):
                response = problem_response(BadRequestData("NUL characters are not allowed"))
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def app_from_env() -> Starlette:
    """App factory for multi-worker serving: each worker opens its own Hub from the environment."""
    from cityhub.config import Settings

    return create_app(Hub.open(Settings.from_env()), owns_hub=True)


def create_app(
    hub: Hub, background: list[BackgroundTask] | None = None, owns_hub: bool = False
) -> Starlette:
    """The ASGI application for one Hub. Background tasks run for the app's lifetime."""
    spec = build_openapi()

    async def openapi(request: Request) -> Response:
        return ORJSONResponse(spec)

    async def health(request: Request) -> Response:
        body: dict[str, Any] = {"status": "ok", "store": hub.store.dialect}
        if hub.bridge is not None:
            body["mqtt"] = {
                "connected": hub.bridge.connected.is_set(),
                "stored": hub.bridge.stored,
                "deadLettered": hub.bridge.dead,
            }
        return ORJSONResponse(body)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        import asyncio

        jobs: list[BackgroundTask] = [
            _notifier,
            _deadline_watch,
            _default_targets,
            *(background or []),
        ]
        if hub.settings.mqtt_url:
            jobs.append(_mqtt_bridge)
        tasks = [asyncio.create_task(job(hub)) for job in jobs]
        try:
            yield {}
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            if owns_hub:
                hub.close()

    routes = [
        route("/openapi.json", openapi, "GET", policy.CITY_READ),
        route("/health", health, "GET", policy.CITY_READ),
        *entities.routes,
        *batch.routes,
        *discovery.routes,
        *temporal.routes,
        *subscriptions.routes,
        *iot.routes,
        *open311.routes,
        *citizen.routes,
        *voice.routes,
        *evaluate.routes,
        *indicators.routes,
        *catalog.routes,
        *ckan.routes,
        *dashboard.routes,
    ]
    app = Starlette(
        routes=routes,
        exception_handlers={
            CityHubError: _cityhub_error,
            HTTPException: _http_error,
            Exception: _unexpected,
        },
        lifespan=lifespan,
        middleware=[Middleware(SecurityHeaders), Middleware(RejectNul), Middleware(EchoTenant)],
    )
    app.state.hub = hub
    return app

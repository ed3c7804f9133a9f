"""Builds the ASGI app: mounts each subsystem's routes and turns every error into problem+json."""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response

from cityhub.api import (
    batch,
    care,
    catalog,
    citizen,
    ckan,
    dashboard,
    discovery,
    entities,
    evaluate,
    homecare,
    indicators,
    iot,
    open311,
    participation,
    registrations,
    subscriptions,
    survey,
    temporal,
    voice,
)
from cityhub.api.access_log import AccessLog
from cityhub.api.envelope import Envelope
from cityhub.api.errors import shaped_error
from cityhub.api.http import NGSI_LD_VERSION, ORJSONResponse
from cityhub.api.openapi import build_openapi
from cityhub.api.routing import GuardedRoute, route
from cityhub.auth import policy
from cityhub.dashboard import Dashboard
from cityhub.errors import (
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
    path = request.url.path
    if exc.status_code == 404:
        return shaped_error(request, ResourceNotFound(f"no resource at {path}"))
    if exc.status_code == 405:
        return shaped_error(
            request, MethodNotAllowed(f"{request.method} is not supported on {request.url.path}")
        )
    error = InvalidRequest(str(exc.detail))
    error.status = exc.status_code
    return shaped_error(request, error)


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return shaped_error(request, CityHubError("the server failed; the error has been logged"))


async def _notifier(hub: Hub) -> None:
    await hub.notifier.run(hub.write)


async def _leased(hub: Hub, name: str, every: float, work: Callable[[], Awaitable[Any]]) -> None:
    """Run `work` every `every` seconds in the one process of the city that holds the job's
    lease (taken for three periods, renewed each time, released on stop): several workers or
    servers on one store share the job instead of each doing it."""
    import asyncio
    import os
    import socket
    import uuid

    holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    try:
        while True:
            try:
                if await hub.run(hub.store.leases.take, name, holder, every * 3):
                    await work()
            except Exception:  # the job outlives any one failure
                log.exception("background job %s failed; trying again in %s s", name, every)
            await asyncio.sleep(every)
    finally:
        with contextlib.suppress(Exception):
            hub.store.leases.release(name, holder)


async def _deadline_watch(hub: Hub, every: float = 60.0) -> None:
    """Escalate overdue citizen requests once a minute."""
    await _leased(hub, "deadline-watch", every, lambda: hub.write(hub.requests.escalate_overdue))


async def _analyses_refresh(hub: Hub) -> None:
    """Remake stale forecasts and the goals' assessment, so the dashboard reads stored ones."""
    every = hub.settings.analyses_refresh
    if every > 0:
        await _leased(hub, "analyses-refresh", every, hub.analyses.refresh)


async def _history_retention(hub: Hub, every: float = 3600.0) -> None:
    """Hourly: delete raw history older than each type's kept days (CITYHUB_HISTORY_KEEP), one
    bounded chunk per write so other writes never wait long behind it."""
    import time

    from cityhub.broker.retention import CHUNK, RetentionPolicy, prune_steps

    policy = RetentionPolicy.parse(hub.settings.history_keep)
    if not policy:
        return
    compact = hub.contexts.vocabulary.type_term

    async def run() -> None:
        steps = await hub.run(
            lambda: list(prune_steps(hub.store, policy, compact, time.time_ns() // 1000))
        )
        for step in steps:
            while True:
                n = await hub.write(
                    hub.store.retention.prune_chunk,
                    step.tenant,
                    step.type_iri,
                    step.before_us,
                    CHUNK,
                )
                if n < CHUNK:
                    break

    await _leased(hub, "history-retention", every, run)


async def _settle(hub: Hub) -> None:
    """Once at start: store the targets the indicator library carries (so reads never write),
    then move everything loaded so far out of the garbage collector's way. Without this every
    full collection walks the hundreds of thousands of objects the libraries leave behind, a
    third of the CPU of a write-heavy server; with it, collections walk only request garbage."""
    import gc

    try:
        await hub.run(hub.indicators.sync_targets)
    except CityHubError:
        log.exception("could not store the library's default targets")
    if hub.settings.warm_analyses:
        hub.compute.warm()
        try:  # the nearest-service index, so the first resident does not wait for it
            await hub.run(hub.care.index)
            await hub.run(hub.care.bus)
            await hub.run(hub.care.streets)
        except CityHubError:
            log.exception("could not build the service points' index")
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)
    # Worker threads (reads, the writer, analytics) hand the interpreter back to the event loop
    # every millisecond rather than every five, so a request never queues long behind them.
    sys.setswitchinterval(0.001)


async def _command_sender(hub: Hub) -> None:
    """Sends the commands written to device entities and records each one's status (PENDING
    once the MQTT broker has it, ERROR with the reason otherwise)."""
    import asyncio

    import orjson

    from cityhub.ingest.agent import Message
    from cityhub.ingest.commands import outgoing

    hub.commands.attach(asyncio.get_running_loop())
    while True:
        for call in await hub.commands.take():
            sent = hub.bridge is not None and hub.bridge.publish(*outgoing(call))
            status: dict[str, str] = {f"{call.name}_status": "PENDING" if sent else "ERROR"}
            if not sent:
                reason = "no MQTT broker is configured" if hub.bridge is None else "not sent"
                status[f"{call.name}_info"] = reason
            note = Message(
                call.apikey, call.device_id, orjson.dumps(status), "json", None, "command",
                kind="status",
            )  # fmt: skip
            try:
                await hub.write(hub.agent.ingest, [note])
            except CityHubError:
                log.exception("could not record the status of command %s", call.name)


async def _care_desk(hub: Hub) -> None:
    """Home alarms: urgent orders made and caregivers told (cityhub.care.desk)."""
    from cityhub.care import desk

    await desk.run(hub)


def mqtt_group_of(hub: Hub) -> str:
    """The default shared-subscription group: one per deployment (see `Settings.mqtt_group`)."""
    return "cityhub-" + hub.store.leases.deployment_id()[:16]


async def _mqtt_bridge(hub: Hub) -> None:
    import os
    import socket

    from cityhub.ingest.mqtt_bridge import MqttBridge

    settings = hub.settings
    client_id = settings.mqtt_client_id or f"cityhub-{socket.gethostname()}-{os.getpid()}"
    group = settings.mqtt_group or await hub.run(mqtt_group_of, hub)
    hub.bridge = MqttBridge(hub.agent, settings.mqtt_url, client_id, group)
    await hub.bridge.run(hub.write)


def app_from_env() -> Starlette:
    """App factory for multi-worker serving: each worker opens its own Hub from the environment."""
    from cityhub.config import Settings

    return create_app(Hub.open(Settings.from_env()), owns_hub=True)


def create_app(
    hub: Hub, background: list[BackgroundTask] | None = None, owns_hub: bool = False
) -> Starlette:
    """The ASGI application for one Hub. Background tasks run for the app's lifetime."""
    spec: dict[str, Any] = {}  # built from the routes below, once they exist
    board = Dashboard(hub)  # the operations page's live feed and map view

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

    async def version(request: Request) -> Response:
        """What this server is, as NGSI-LD brokers answer GET /version (clients such as FiLiP
        ask it first)."""
        from cityhub import __version__

        return ORJSONResponse(
            {
                "cityhub version": __version__,
                "ngsi-ld": NGSI_LD_VERSION,
                "store": hub.store.dialect,
                "broker": hub.settings.broker_name,
            }
        )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        import asyncio

        jobs: list[BackgroundTask] = [
            _notifier,
            _command_sender,
            _care_desk,
            _deadline_watch,
            _settle,
            _analyses_refresh,
            _history_retention,
            *(background or []),
        ]
        if hub.settings.mqtt_url:
            jobs.append(_mqtt_bridge)
        board.start()
        tasks = [asyncio.create_task(job(hub)) for job in jobs]
        try:
            yield {}
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            board.close()
            # The server may be ended by a signal right after this: no worker process may
            # outlive it.
            hub.compute.stop_processes()
            if owns_hub:
                hub.close()

    routes = [
        route("/openapi.json", openapi, "GET", policy.CITY_READ),
        route("/health", health, "GET", policy.CITY_READ),
        route("/version", version, "GET", policy.CITY_READ),
        *entities.routes,
        *batch.routes,
        *discovery.routes,
        *temporal.routes,
        *subscriptions.routes,
        *registrations.routes,
        *iot.routes,
        *open311.routes,
        *citizen.routes,
        *voice.routes,
        *evaluate.routes,
        *indicators.routes,
        *catalog.routes,
        *survey.routes,
        *participation.routes,
        *care.routes,
        *homecare.routes,
        *ckan.routes,
        *dashboard.routes,
    ]
    spec.update(build_openapi([r for r in routes if isinstance(r, GuardedRoute)]))
    app = Starlette(
        routes=routes,
        exception_handlers={
            CityHubError: _cityhub_error,
            HTTPException: _http_error,
            Exception: _unexpected,
        },
        lifespan=lifespan,
        middleware=[
            *([Middleware(AccessLog)] if hub.settings.access_log else []),
            Middleware(Envelope),
        ],
    )
    app.state.hub = hub
    app.state.dashboard = board
    return app

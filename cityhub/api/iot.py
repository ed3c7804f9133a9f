"""/iot: device provisioning (IoT-agent API) and HTTP ingestion (/iot/json, /iot/d)."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cityhub.api import http
from cityhub.errors import AlreadyExists, BadRequestData, ResourceNotFound
from cityhub.ingest.agent import Message
from cityhub.ingest.devices import validate_device, validate_group


def _tenant(request: Request) -> str:
    """NGSILD-Tenant, or the IoT-agent header fiware-service."""
    return http.tenant_of(request) or request.headers.get("fiware-service", "").strip()


def _items(body: Any, *keys: str) -> list[Any]:
    if isinstance(body, dict):
        for key in keys:
            if isinstance(body.get(key), list):
                return list(body[key])
    raise BadRequestData(f"the body must be an object with a '{keys[0]}' array")


async def create_groups(request: Request) -> Response:
    hub = http.hub_of(request)
    hub.keys.check_write(http.headers_of(request))
    tenant = _tenant(request)
    groups = [
        validate_group(g) for g in _items(await http.read_body(request), "services", "groups")
    ]
    for group in groups:
        await hub.run(hub.store.put_group, tenant, group["apikey"], group)
    hub.devices.invalidate()
    return Response(status_code=201)


async def list_groups(request: Request) -> Response:
    hub = http.hub_of(request)
    groups = await hub.run(hub.store.list_groups, _tenant(request))
    return http.ORJSONResponse({"count": len(groups), "services": groups})


async def delete_group(request: Request) -> Response:
    hub = http.hub_of(request)
    hub.keys.check_write(http.headers_of(request))
    apikey = request.query_params.get("apikey")
    if not apikey:
        raise BadRequestData("give the group's apikey")
    if not await hub.run(hub.store.delete_group, _tenant(request), apikey):
        raise ResourceNotFound(f"no group with apikey '{apikey}'")
    hub.devices.invalidate()
    return http.no_content()


async def create_devices(request: Request) -> Response:
    hub = http.hub_of(request)
    hub.keys.check_write(http.headers_of(request))
    tenant = _tenant(request)
    devices = [validate_device(d) for d in _items(await http.read_body(request), "devices")]
    for device in devices:
        if await hub.run(hub.store.get_device, tenant, device["device_id"]) is not None:
            raise AlreadyExists(f"device {device['device_id']} is already provisioned")
    for device in devices:
        apikey = device.get("apikey", "")
        await hub.run(hub.store.put_device, tenant, device["device_id"], apikey, device)
    hub.devices.invalidate()
    return Response(status_code=201)


async def list_devices(request: Request) -> Response:
    hub = http.hub_of(request)
    devices = await hub.run(hub.store.list_devices, _tenant(request))
    return http.ORJSONResponse({"count": len(devices), "devices": devices})


async def get_device(request: Request) -> Response:
    hub = http.hub_of(request)
    device_id = request.path_params["device_id"]
    device = await hub.run(hub.store.get_device, _tenant(request), device_id)
    if device is None:
        raise ResourceNotFound(f"device {device_id} is not provisioned")
    return http.ORJSONResponse(device)


async def delete_device(request: Request) -> Response:
    hub = http.hub_of(request)
    hub.keys.check_write(http.headers_of(request))
    device_id = request.path_params["device_id"]
    if not await hub.run(hub.store.delete_device, _tenant(request), device_id):
        raise ResourceNotFound(f"device {device_id} is not provisioned")
    hub.devices.invalidate()
    return http.no_content()


async def _ingest(request: Request, fmt: str) -> Response:
    hub = http.hub_of(request)
    apikey, device_id = request.query_params.get("k"), request.query_params.get("i")
    if not apikey or not device_id:
        raise BadRequestData("HTTP ingestion needs ?k=<apikey>&i=<device_id>")
    payload = await request.body()
    if len(payload) > hub.settings.max_body_bytes:
        raise BadRequestData("the measures exceed the body size limit")
    message = Message(apikey, device_id, payload, fmt, None, f"http:{request.url.path}")
    outcome = await hub.run(hub.agent.ingest, [message])
    if outcome.dead:
        reason = outcome.dead[0][1]
        if "provisioned" in reason:
            raise ResourceNotFound(reason)
        raise BadRequestData(reason)
    return http.ORJSONResponse({"stored": outcome.stored, "duplicates": outcome.duplicates})


async def ingest_json(request: Request) -> Response:
    return await _ingest(request, "json")


async def ingest_ul(request: Request) -> Response:
    return await _ingest(request, "ul")


async def dead_letters(request: Request) -> Response:
    hub = http.hub_of(request)
    hub.keys.check_read(http.headers_of(request), "")
    rows = await hub.run(hub.store.dead_letters, 100)
    total = await hub.run(hub.store.dead_letter_count)
    letters = [
        {
            "receivedAt": r[0],
            "source": r[1],
            "reason": r[3],
            "payload": r[2].decode("utf-8", "replace"),
        }
        for r in rows
    ]
    return Response(
        orjson.dumps({"count": total, "latest": letters}), media_type="application/json"
    )


routes = [
    Route("/iot/groups", create_groups, methods=["POST"]),
    Route("/iot/groups", list_groups, methods=["GET"]),
    Route("/iot/groups", delete_group, methods=["DELETE"]),
    Route("/iot/services", create_groups, methods=["POST"]),
    Route("/iot/services", list_groups, methods=["GET"]),
    Route("/iot/devices", create_devices, methods=["POST"]),
    Route("/iot/devices", list_devices, methods=["GET"]),
    Route("/iot/devices/{device_id}", get_device, methods=["GET"]),
    Route("/iot/devices/{device_id}", delete_device, methods=["DELETE"]),
    Route("/iot/json", ingest_json, methods=["POST"]),
    Route("/iot/d", ingest_ul, methods=["POST"]),
    Route("/iot/deadletters", dead_letters, methods=["GET"]),
]

"""/iot: device provisioning (IoT-agent API) and HTTP ingestion (/iot/json, /iot/d)."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from cityhub.api import http
from cityhub.api.routing import route
from cityhub.auth import policy
from cityhub.errors import BadRequestData, Forbidden
from cityhub.ingest.agent import Message
from cityhub.ingest.devices import validate_device, validate_group


def _items(body: Any, *keys: str) -> list[Any]:
    if isinstance(body, dict):
        for key in keys:
            if isinstance(body.get(key), list):
                return list(body[key])
    raise BadRequestData(f"the body must be an object with a '{keys[0]}' array")


async def create_groups(request: Request) -> Response:
    hub = http.hub_of(request)
    body = await http.read_body(request)
    groups = [validate_group(g) for g in _items(body, "services", "groups")]
    actor = http.principal_of(request)
    await hub.write(hub.devices.provision_groups, http.tenant_of(request), groups, actor)
    return Response(status_code=201)


async def list_groups(request: Request) -> Response:
    hub = http.hub_of(request)
    actor = http.principal_of(request)
    groups = await hub.run(hub.devices.groups, http.tenant_of(request), actor)
    return http.ORJSONResponse({"count": len(groups), "services": groups})


async def delete_group(request: Request) -> Response:
    hub = http.hub_of(request)
    apikey = request.query_params.get("apikey")
    if not apikey:
        raise BadRequestData("give the group's apikey")
    actor = http.principal_of(request)
    await hub.write(hub.devices.remove_group, http.tenant_of(request), apikey, actor)
    return http.no_content()


async def _change(request: Request, change: Any, key: str) -> Response:
    """A PUT of the IoT agents' API: the fields sent replace those of the group or device that
    `key` names (its apikey or device id stays)."""
    hub = http.hub_of(request)
    changes = await http.read_body(request)
    if not isinstance(changes, dict):
        raise BadRequestData("the body must be an object of the fields to change")
    actor = http.principal_of(request)
    await hub.write(change, http.tenant_of(request), key, changes, actor)
    return http.no_content()


async def update_group(request: Request) -> Response:
    """PUT /iot/services?apikey=…"""
    apikey = request.query_params.get("apikey")
    if not apikey:
        raise BadRequestData("give the group's apikey")
    return await _change(request, http.hub_of(request).devices.update_group, apikey)


async def update_device(request: Request) -> Response:
    """PUT /iot/devices/{id}"""
    hub = http.hub_of(request)
    return await _change(request, hub.devices.update_device, request.path_params["device_id"])


async def create_devices(request: Request) -> Response:
    hub = http.hub_of(request)
    devices = [validate_device(d) for d in _items(await http.read_body(request), "devices")]
    actor = http.principal_of(request)
    tenant = http.tenant_of(request)
    await hub.write(hub.devices.provision_devices, tenant, devices, actor)
    # A device that takes commands has its entity now: commands are written to it.
    await hub.write(hub.agent.provisioned, tenant, [d["device_id"] for d in devices])
    return Response(status_code=201)


async def list_devices(request: Request) -> Response:
    hub = http.hub_of(request)
    actor = http.principal_of(request)
    devices = await hub.run(hub.devices.devices, http.tenant_of(request), actor)
    return http.ORJSONResponse({"count": len(devices), "devices": devices})


async def get_device(request: Request) -> Response:
    hub = http.hub_of(request)
    device_id = request.path_params["device_id"]
    actor = http.principal_of(request)
    device = await hub.run(hub.devices.device, http.tenant_of(request), device_id, actor)
    return http.ORJSONResponse(device)


async def delete_device(request: Request) -> Response:
    hub = http.hub_of(request)
    device_id = request.path_params["device_id"]
    actor = http.principal_of(request)
    await hub.write(hub.devices.remove_device, http.tenant_of(request), device_id, actor)
    return http.no_content()


async def _ingest(request: Request, fmt: str) -> Response:
    hub = http.hub_of(request)
    apikey, device_id = request.query_params.get("k"), request.query_params.get("i")
    if not apikey or not device_id:
        raise BadRequestData("HTTP ingestion needs ?k=<apikey>&i=<device_id>")
    if request.method == "GET":  # UltraLight over GET: the measures in ?d=
        payload = request.query_params.get("d", "").encode()
    else:
        payload = await http.read_bytes(request)
    message = Message(apikey, device_id, payload, fmt, None, f"http:{request.url.path}")
    outcome = await hub.write(hub.agent.ingest, [message])
    if outcome.dead:
        raise outcome.dead[0][1]
    return http.ORJSONResponse({"stored": outcome.stored, "duplicates": outcome.duplicates})


async def ingest_json(request: Request) -> Response:
    return await _ingest(request, "json")


async def ingest_ul(request: Request) -> Response:
    return await _ingest(request, "ul")


async def dead_letters(request: Request) -> Response:
    """The tenant's latest dead letters; `?unattributed=true` (admins): those of no device."""
    hub = http.hub_of(request)
    tenant: str | None = http.tenant_of(request)
    if request.query_params.get("unattributed", "").lower() in ("1", "true"):
        if not http.principal_of(request).is_admin and not http.principal_of(request).open_mode:
            raise Forbidden("messages of no known device are shown to admins only")
        tenant = None
    total, rows = await hub.run(hub.devices.dead_letters, tenant)
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
    route("/iot/groups", create_groups, "POST", policy.IOT_WRITE),
    route("/iot/groups", list_groups, "GET", policy.IOT_READ),
    route("/iot/groups", delete_group, "DELETE", policy.IOT_WRITE),
    route("/iot/services", create_groups, "POST", policy.IOT_WRITE),
    route("/iot/services", list_groups, "GET", policy.IOT_READ),
    route("/iot/services", update_group, "PUT", policy.IOT_WRITE),
    route("/iot/services", delete_group, "DELETE", policy.IOT_WRITE),
    route("/iot/groups", update_group, "PUT", policy.IOT_WRITE),
    route("/iot/devices", create_devices, "POST", policy.IOT_WRITE),
    route("/iot/devices", list_devices, "GET", policy.IOT_READ),
    route("/iot/devices/{device_id}", get_device, "GET", policy.IOT_READ),
    route("/iot/devices/{device_id}", update_device, "PUT", policy.IOT_WRITE),
    route("/iot/devices/{device_id}", delete_device, "DELETE", policy.IOT_WRITE),
    route("/iot/json", ingest_json, "POST", policy.DEVICE),
    route("/iot/d", ingest_ul, "POST", policy.DEVICE),
    route("/iot/d", ingest_ul, "GET", policy.DEVICE),
    route("/iot/deadletters", dead_letters, "GET", policy.IOT_READ),
]

"""The catalog's own API at /catalog/v1: publish datasets, load files as versions, read rows and
download (masked by role), confirm the classification, request and decide access, read and
verify the audit. Reads of the catalogue itself go through the CKAN action API as well."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from cityhub.api import http
from cityhub.api.catalog_params import reader_of, row_query, writer_of
from cityhub.api.routing import route
from cityhub.auth import policy
from cityhub.catalog.access import access_dict
from cityhub.catalog.audit import record_dict
from cityhub.catalog.service import field_dicts
from cityhub.errors import BadRequestData, PayloadTooLarge
from cityhub.limits import whole_number
from cityhub.store.catalog_sql import AuditFilter, VersionRecord
from cityhub.timeutil import iso_local, parse_datetime

PREFIX = "/catalog/v1"
SUFFIX_OF = {
    "text/csv": ".csv",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/json": ".json",
    "application/geo+json": ".geojson",
    "application/vnd.apache.parquet": ".parquet",
}


def _version_dict(v: VersionRecord, tz: str) -> dict[str, Any]:
    return {
        "version": v.version,
        "rows": v.rows,
        "columns": v.columns,
        "source": v.source,
        "format": v.format,
        "bytes": v.bytes,
        "sha256": v.sha256,
        "suggestion": v.suggestion,
        "loadedAt": iso_local(v.created_us, tz),
    }


async def list_datasets(request: Request) -> Response:
    hub = http.hub_of(request)
    return http.ORJSONResponse(await hub.run(hub.catalog.packages, http.base_url(request)))


async def create_dataset(request: Request) -> Response:
    hub = http.hub_of(request)
    writer = writer_of(request)
    body = await http.json_object(request)
    d = await hub.write(hub.catalog.create, writer, body)
    package = await hub.run(hub.catalog.package, d, http.base_url(request))
    return http.ORJSONResponse(package, status_code=201)


async def show_dataset(request: Request) -> Response:
    hub = http.hub_of(request)
    d = await hub.run(hub.catalog.dataset, request.path_params["key"])
    return http.ORJSONResponse(await hub.run(hub.catalog.package, d, http.base_url(request)))


async def update_dataset(request: Request) -> Response:
    hub = http.hub_of(request)
    writer = writer_of(request)
    body = await http.json_object(request)
    d = await hub.write(hub.catalog.update, writer, request.path_params["key"], body)
    return http.ORJSONResponse(await hub.run(hub.catalog.package, d, http.base_url(request)))


async def classify(request: Request) -> Response:
    hub = http.hub_of(request)
    writer = writer_of(request)
    body = await http.json_object(request)
    d = await hub.write(hub.catalog.classify, writer, request.path_params["key"], body)
    return http.ORJSONResponse(await hub.run(hub.catalog.package, d, http.base_url(request)))


async def list_versions(request: Request) -> Response:
    hub = http.hub_of(request)
    found = await hub.run(hub.catalog.versions, request.path_params["key"])
    return http.ORJSONResponse([_version_dict(v, hub.settings.timezone) for v in found])


async def add_version(request: Request) -> Response:
    """The body is the file itself; its kind comes from Content-Type (or ?format=)."""
    hub = http.hub_of(request)
    writer = writer_of(request)
    kind = http.media_type(request)
    fmt = request.query_params.get("format")
    suffix = f".{fmt}" if fmt in ("csv", "xlsx", "json", "geojson", "parquet") else None
    suffix = suffix or SUFFIX_OF.get(kind)
    if suffix is None:
        raise BadRequestData(
            "send the file as text/csv, XLSX, application/json, application/geo+json or "
            "Parquet, or name it with ?format=csv|xlsx|json|geojson|parquet"
        )
    limit = hub.settings.max_upload_bytes
    source = request.query_params.get("filename") or f"upload{suffix}"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"upload{suffix}"
        size = 0
        with path.open("wb") as handle:
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise PayloadTooLarge(f"the file exceeds the limit of {limit} bytes")
                handle.write(chunk)
        if size == 0:
            raise BadRequestData("the request body (the file) is empty")
        v = await hub.run(hub.catalog.add_file, writer, request.path_params["key"], path, source)
    return http.ORJSONResponse(_version_dict(v, hub.settings.timezone), status_code=201)


async def rows(request: Request) -> Response:
    hub = http.hub_of(request)
    params = dict(request.query_params)
    query = row_query(params)
    number = params.get("version")
    if number is not None and (not number.isdecimal() or len(number) > 9):
        raise BadRequestData("version must be a whole number")
    page = await hub.run(
        hub.catalog.rows,
        reader_of(request),
        request.path_params["key"],
        query,
        int(number) if number else None,
    )
    return http.ORJSONResponse(
        {
            "dataset": page.dataset.name,
            "version": page.version.version,
            "fields": field_dicts(page.fields),
            "records": page.records,
            "total": page.total,
            "masked": page.access.masked,
        }
    )


async def download(request: Request) -> Response:
    hub = http.hub_of(request)
    number = request.query_params.get("version")
    if number is not None and (not number.isdecimal() or len(number) > 9):
        raise BadRequestData("version must be a whole number")
    media, name, chunks = await hub.run(
        hub.catalog.download,
        reader_of(request),
        request.path_params["key"],
        request.query_params.get("format", "csv"),
        int(number) if number else None,
    )
    return StreamingResponse(
        chunks,
        media_type=media,
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


async def request_access(request: Request) -> Response:
    hub = http.hub_of(request)
    body = await http.json_object(request)
    record = await hub.write(
        hub.access.request,
        reader_of(request),
        request.path_params["key"],
        body.get("purpose", ""),
        body.get("fields", []),
        body.get("days", 90),
    )
    d = await hub.run(hub.catalog.dataset, record.dataset_id)
    return http.ORJSONResponse(access_dict(record, d.name, hub.settings.timezone), status_code=201)


async def list_access(request: Request) -> Response:
    hub = http.hub_of(request)
    found = await hub.run(
        hub.access.visible, reader_of(request), request.query_params.get("status")
    )
    names = {d.id: d.name for d in await hub.run(hub.catalog.datasets)}
    tz = hub.settings.timezone
    return http.ORJSONResponse([access_dict(r, names.get(r.dataset_id, ""), tz) for r in found])


async def decide_access(request: Request) -> Response:
    hub = http.hub_of(request)
    body = await http.json_object(request)
    raw = request.path_params["access_id"]
    if not raw.isdecimal() or len(raw) > 18:
        raise BadRequestData("an access request id is a number")
    record = await hub.write(
        hub.access.decide,
        writer_of(request),
        int(raw),
        str(body.get("decision", "")),
        str(body.get("note", "")),
        body.get("days"),
    )
    d = await hub.run(hub.catalog.dataset, record.dataset_id)
    return http.ORJSONResponse(access_dict(record, d.name, hub.settings.timezone))


def _us(value: str | None, name: str, tz: str) -> int | None:
    if not value:
        return None
    try:
        return int(parse_datetime(value, tz).timestamp() * 1_000_000)
    except ValueError as exc:
        raise BadRequestData(f"{name} must be an ISO 8601 date-time") from exc


async def audit(request: Request) -> Response:
    hub = http.hub_of(request)
    q = request.query_params
    tz = hub.settings.timezone
    dataset = q.get("dataset")
    ids = None
    if dataset and dataset.startswith("care-register:"):
        ids = [dataset]  # the home-care register is audited under its own name
    elif dataset:
        ids = [(await hub.run(hub.catalog.dataset, dataset)).id]
    flt = AuditFilter(
        dataset_ids=ids,
        actor=q.get("actor") or None,
        action=q.get("action") or None,
        since_us=_us(q.get("since"), "since", tz),
        until_us=_us(q.get("until"), "until", tz),
    )
    limit = whole_number(q.get("limit"), "limit", 1, 10_000, default=100)
    offset = whole_number(q.get("offset"), "offset", 0, 1_000_000_000, default=0)
    found = await hub.run(hub.access.audit, reader_of(request), flt, limit, offset)
    return http.ORJSONResponse([record_dict(r, tz) for r in found])


async def verify(request: Request) -> Response:
    hub = http.hub_of(request)
    result = await hub.run(hub.access.verify, reader_of(request))
    return http.ORJSONResponse(result.as_dict(), status_code=200 if result.ok else 409)


async def dcat(request: Request) -> Response:
    """/catalog.ttl, /catalog.jsonld, /dataset/{key}.ttl, /dataset/{key}.jsonld"""
    from cityhub.catalog.dcat import serialise

    hub = http.hub_of(request)
    fmt = "ttl" if request.url.path.endswith(".ttl") else "jsonld"
    key = request.path_params.get("key")
    graph = await hub.run(hub.catalog.dcat, http.base_url(request), hub.settings.city, key)
    media = "text/turtle; charset=utf-8" if fmt == "ttl" else "application/ld+json"
    return Response(serialise(graph, fmt), media_type=media)


DATASET = f"{PREFIX}/datasets/{{key}}"
routes = [
    route("/catalog.ttl", dcat, "GET", policy.CITY_READ),
    route("/catalog.jsonld", dcat, "GET", policy.CITY_READ),
    route("/dataset/{key}.ttl", dcat, "GET", policy.CITY_READ),
    route("/dataset/{key}.jsonld", dcat, "GET", policy.CITY_READ),
    route(f"{PREFIX}/datasets", list_datasets, "GET", policy.CITY_READ),
    route(f"{PREFIX}/datasets", create_dataset, "POST", policy.STAFF_WRITE),
    route(DATASET, show_dataset, "GET", policy.CITY_READ),
    route(DATASET, update_dataset, "PATCH", policy.STAFF_WRITE),
    route(DATASET + "/classification", classify, "PUT", policy.STEWARD_WRITE),
    route(DATASET + "/versions", list_versions, "GET", policy.CITY_READ),
    route(DATASET + "/versions", add_version, "POST", policy.STAFF_WRITE),
    route(DATASET + "/rows", rows, "GET", policy.CITY_READ),
    route(DATASET + "/download", download, "GET", policy.CITY_READ),
    route(DATASET + "/access-requests", request_access, "POST", policy.STAFF_WRITE),
    route(f"{PREFIX}/access-requests", list_access, "GET", policy.STAFF_READ),
    route(
        f"{PREFIX}/access-requests/{{access_id}}/decision",
        decide_access,
        "POST",
        policy.STEWARD_WRITE,
    ),
    route(f"{PREFIX}/audit", audit, "GET", policy.STEWARD_READ),
    route(f"{PREFIX}/audit/verify", verify, "GET", policy.STEWARD_READ),
]

"""The CKAN action API (read side) on /api/action/* and /api/3/action/*.

Answers carry CKAN's envelope {help, success, result}; errors carry {help, success: false,
error: {__type, message}} with CKAN's status codes, so CKAN clients (ckanapi, the CKAN harvester)
work unchanged. Keys are read from Authorization or X-CKAN-API-Key as CKAN sends them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from cityhub.api import ckan_lists, http
from cityhub.api.catalog_params import reader_of, row_query
from cityhub.api.routing import route
from cityhub.auth import policy
from cityhub.catalog.ckan_search import SearchQueryError, search
from cityhub.catalog.render import org_dict, resource_dict
from cityhub.catalog.service import field_dicts
from cityhub.errors import (
    BadRequestData,
    CityHubError,
    Forbidden,
    InvalidRequest,
    ResourceNotFound,
    Unauthorized,
)
from cityhub.hub import Hub

Action = Callable[[Request, Hub, dict[str, Any]], Awaitable[Any]]
CKAN_VERSION = "2.10.4"


class ValidationFailed(BadRequestData):
    """A parameter CKAN would reject; its message is reported under the field's name."""

    def __init__(self, message: str, field: str = "value") -> None:
        self.field = field
        super().__init__(message)


def _int(params: dict[str, Any], name: str, default: int, lo: int = 0, hi: int = 10**9) -> int:
    value = params.get(name, default)
    try:
        number = int(value)
    except (TypeError, ValueError) as exc:
        raise ValidationFailed("Invalid integer", name) from exc
    if not lo <= number <= hi:
        raise ValidationFailed(f"Must be between {lo} and {hi}", name)
    return number


def _bool(params: dict[str, Any], name: str, default: bool) -> bool:
    value = params.get(name, default)
    if isinstance(value, bool):
        return value
    return str(value).lower() in ("true", "1", "yes", "on")


def _list(value: Any, name: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                value = orjson.loads(text)
            except orjson.JSONDecodeError as exc:
                raise ValidationFailed("not a JSON list", name) from exc
        else:
            return [v.strip() for v in text.split(",") if v.strip()]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValidationFailed("must be a list of strings", name)
    return value


async def status_show(request: Request, hub: Hub, params: dict[str, Any]) -> Any:
    return {
        "site_title": f"cityhub · {hub.settings.city}",
        "site_description": "城市数据目录 / city data catalog",
        "site_url": http.base_url(request),
        "ckan_version": CKAN_VERSION,
        "locale_default": "zh_Hans_CN",
        "extensions": ["datastore", "dcat", "cityhub"],
    }


async def package_list(request: Request, hub: Hub, params: dict[str, Any]) -> Any:
    names = sorted(d.name for d in await hub.run(hub.catalog.datasets))
    offset = _int(params, "offset", 0)
    limit = _int(params, "limit", len(names) or 1, 0, 10**6)
    return names[offset : offset + limit]


async def package_show(request: Request, hub: Hub, params: dict[str, Any]) -> Any:
    key = params.get("id") or params.get("name_or_id")
    if not isinstance(key, str) or not key:
        raise ValidationFailed("Missing value", "id")
    d = await hub.run(hub.catalog.dataset, key)
    return await hub.run(hub.catalog.package, d, http.base_url(request), True)


async def package_search(request: Request, hub: Hub, params: dict[str, Any]) -> Any:
    packages = await hub.run(hub.catalog.packages, http.base_url(request), True)
    facet_fields = _list(params.get("facet.field"), "facet.field")
    try:
        found = search(
            packages,
            q=str(params.get("q") or ""),
            fq=str(params.get("fq") or ""),
            sort=str(params.get("sort") or "score desc, metadata_modified desc"),
            rows=_int(params, "rows", 10, 0, 1000),
            start=_int(params, "start", 0),
            facet_fields=facet_fields,
            facet_limit=_int(params, "facet.limit", 50, -1, 10_000) % 10_001,
        )
    except SearchQueryError as exc:
        raise _SearchError(str(exc)) from exc
    return {
        "count": found.count,
        "results": found.results,
        "sort": found.sort,
        "facets": found.facets,
        "search_facets": {
            name: {
                "title": name,
                "items": [{"name": v, "display_name": v, "count": n} for v, n in counts.items()],
            }
            for name, counts in found.facets.items()
        },
    }


class _SearchError(BadRequestData):
    pass


async def organization_list(request: Request, hub: Hub, params: dict[str, Any]) -> Any:
    orgs = await hub.run(hub.catalog.orgs)
    datasets = await hub.run(hub.catalog.datasets)
    offset = _int(params, "offset", 0)
    limit = _int(params, "limit", 1000, 0, 10**6)
    chosen = orgs[offset : offset + limit]
    if not _bool(params, "all_fields", False):
        return [name for name, _, _ in chosen]
    return [
        {
            **org_dict(name, doc, created, None),
            "package_count": sum(1 for d in datasets if d.org == name),
        }
        for name, doc, created in chosen
    ]


async def organization_show(request: Request, hub: Hub, params: dict[str, Any]) -> Any:
    key = params.get("id")
    if not isinstance(key, str) or not key:
        raise ValidationFailed("Missing value", "id")
    orgs = {name: (doc, created) for name, doc, created in await hub.run(hub.catalog.orgs)}
    if key not in orgs:
        raise ResourceNotFound(f"Organization not found: {key}")
    doc, created = orgs[key]
    body = org_dict(key, doc, created, None)
    packages = [
        p
        for p in await hub.run(hub.catalog.packages, http.base_url(request), True)
        if p["owner_org"] == key
    ]
    body["package_count"] = len(packages)
    if _bool(params, "include_datasets", False):
        body["packages"] = packages
    return body


async def resource_show(request: Request, hub: Hub, params: dict[str, Any]) -> Any:
    key = params.get("id")
    if not isinstance(key, str) or not key:
        raise ValidationFailed("Missing value", "id")
    d = await hub.run(hub.catalog.dataset, key)
    if key != d.resource_id:
        raise ResourceNotFound(f"Resource was not found: {key}")
    v = await hub.run(hub.catalog.version, d) if d.version else None
    return resource_dict(d, v, http.base_url(request), None)


async def datastore_search(request: Request, hub: Hub, params: dict[str, Any]) -> Any:
    key = params.get("resource_id") or params.get("id")
    if not isinstance(key, str) or not key:
        raise ValidationFailed("Missing value", "resource_id")
    if params.get("records_format", "objects") != "objects":
        raise ValidationFailed("only 'objects' is supported", "records_format")
    query = row_query(params)
    include_total = _bool(params, "include_total", True)
    page = await hub.run(hub.catalog.rows, reader_of(request), key, query, None, include_total)
    here = f"/api/3/action/datastore_search?resource_id={page.dataset.resource_id}"
    result: dict[str, Any] = {
        "resource_id": page.dataset.resource_id,
        "fields": field_dicts(page.fields),
        "records": page.records,
        "limit": query.limit,
        "records_format": "objects",
        "include_total": include_total,
        "_links": {"start": here, "next": f"{here}&offset={query.offset + query.limit}"},
    }
    if query.offset:
        result["offset"] = query.offset
    if include_total:
        result["total"] = page.total
        result["total_was_estimated"] = False
    if query.filters:
        result["filters"] = query.filters
    if query.q:
        result["q"] = query.q.get("", query.q)
    return result


async def datastore_info(request: Request, hub: Hub, params: dict[str, Any]) -> Any:
    """The resource's fields and row count (read, and audited, as a search of no rows)."""
    key = params.get("id") or params.get("resource_id")
    if not isinstance(key, str) or not key:
        raise ValidationFailed("Missing value", "id")
    page = await hub.run(hub.catalog.rows, reader_of(request), key, row_query({"limit": 0}))
    fields = [f for f in field_dicts(page.fields) if f["id"] != "_id"]
    return {
        "meta": {"id": page.dataset.resource_id, "count": page.total, "aliases": []},
        "fields": fields,
    }


async def datastore_search_sql(request: Request, hub: Hub, params: dict[str, Any]) -> Any:
    """Not offered: SQL from a client cannot be held to the catalog's masking and audit."""
    raise ValidationFailed(
        "datastore_search_sql is not supported here (SQL from a client would bypass the "
        "masking of personal data); use datastore_search with filters, q, fields and sort",
        "sql",
    )


async def current_package_list_with_resources(
    request: Request, hub: Hub, params: dict[str, Any]
) -> Any:
    """Datasets with their resources, most recently modified first (limit, offset)."""
    packages = await hub.run(hub.catalog.packages, http.base_url(request), True)
    packages.sort(key=lambda p: p["metadata_modified"], reverse=True)
    offset = _int(params, "offset", 0)
    limit = _int(params, "limit", len(packages) or 1, 0, 10**6)
    return packages[offset : offset + limit]


ACTIONS: dict[str, Action] = {
    "status_show": status_show,
    "package_list": package_list,
    "package_show": package_show,
    "package_search": package_search,
    "organization_list": organization_list,
    "organization_show": organization_show,
    "resource_show": resource_show,
    "datastore_search": datastore_search,
    "datastore_info": datastore_info,
    "datastore_search_sql": datastore_search_sql,
    "current_package_list_with_resources": current_package_list_with_resources,
    **ckan_lists.ACTIONS,
}


def _envelope(request: Request, name: str, body: dict[str, Any], status: int = 200) -> Response:
    help_url = f"{http.base_url(request)}/api/3/action/help_show?name={name}"
    return http.ORJSONResponse({"help": help_url, **body}, status_code=status)


def ckan_error(request: Request, name: str, exc: CityHubError) -> Response:
    """An error in CKAN's envelope (success false, error.__type)."""
    message = str(exc)
    if isinstance(exc, ValidationFailed):
        error: dict[str, Any] = {"__type": "Validation Error", exc.field: [message]}
        return _envelope(request, name, {"success": False, "error": error}, 409)
    if isinstance(exc, _SearchError):
        error = {"__type": "Search Query Error", "message": f"Search Query is invalid: {message}"}
        return _envelope(request, name, {"success": False, "error": error}, 409)
    if isinstance(exc, ResourceNotFound):
        error = {"__type": "Not Found Error", "message": f"Not found: {message}"}
        return _envelope(request, name, {"success": False, "error": error}, 404)
    if isinstance(exc, Unauthorized | Forbidden):
        error = {"__type": "Authorization Error", "message": f"Access denied: {message}"}
        return _envelope(request, name, {"success": False, "error": error}, 403)
    if isinstance(exc, BadRequestData | InvalidRequest):
        error = {"__type": "Validation Error", "message": message}
        return _envelope(request, name, {"success": False, "error": error}, 409)
    error = {"__type": "Internal Server Error", "message": "the server failed"}
    return _envelope(request, name, {"success": False, "error": error}, exc.status)


async def _params(request: Request) -> dict[str, Any]:
    params: dict[str, Any] = dict(request.query_params)
    if request.method != "POST":
        return params
    kind = http.media_type(request)
    raw = await http.read_bytes(request)  # counted while it streams in
    if kind == "application/x-www-form-urlencoded":
        params.update(await http.read_form(request))
    elif kind == "multipart/form-data":
        try:
            form = await request.form(max_files=0, max_fields=1000)
        except Exception as exc:  # a malformed multipart body is the client's error
            raise InvalidRequest(f"Bad request - the form cannot be read: {exc}") from exc
        params.update({k: v for k, v in form.items() if isinstance(v, str)})
    elif raw.strip():
        try:
            body = http.parse_json(raw)
        except InvalidRequest as exc:
            raise InvalidRequest(f"Bad request - JSON Error: {exc.detail}") from exc
        if not isinstance(body, dict):
            raise InvalidRequest("Bad request - JSON Error: the body must be an object")
        params.update(body)
    return params


async def action(request: Request) -> Response:
    name = request.path_params["name"]
    handler = ACTIONS.get(name)
    if name == "help_show":
        wanted = request.query_params.get("name", "")
        doc = (ACTIONS[wanted].__doc__ or wanted) if wanted in ACTIONS else None
        if doc is None:
            return ckan_error(request, name, ResourceNotFound(f"action {wanted!r}"))
        return _envelope(request, name, {"success": True, "result": doc})
    if handler is None:
        body = {
            "success": False,
            "error": {"__type": "Bad Request", "message": f"Action name not known: {name}"},
        }
        return _envelope(request, name, body, 400)
    hub = http.hub_of(request)
    try:
        params = await _params(request)
        result = await handler(request, hub, params)
    except CityHubError as exc:
        return ckan_error(request, name, exc)
    return _envelope(request, name, {"success": True, "result": result})


routes = [
    route("/api/action/{name}", action, "GET", policy.CITY_READ),
    route("/api/action/{name}", action, "POST", policy.CITY_READ),
    route("/api/3/action/{name}", action, "GET", policy.CITY_READ),
    route("/api/3/action/{name}", action, "POST", policy.CITY_READ),
]

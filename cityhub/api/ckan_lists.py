"""CKAN's vocabulary actions over the catalogue: groups (the catalogue's themes), tags (its
keywords) and licences, as CKAN browsers and harvesters list them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request

from cityhub.api import http
from cityhub.catalog.metadata import LICENSE_TITLES, LICENSES
from cityhub.errors import BadRequestData, ResourceNotFound
from cityhub.hub import Hub

Action = Callable[[Request, Hub, dict[str, Any]], Awaitable[Any]]


def _flag(params: dict[str, Any], name: str) -> bool:
    value = params.get(name, False)
    return value is True or str(value).lower() in ("true", "1", "yes", "on")


def _id(params: dict[str, Any]) -> str:
    key = params.get("id")
    if not isinstance(key, str) or not key:
        raise BadRequestData("Missing value: id")
    return key


async def _packages(request: Request, hub: Hub) -> list[dict[str, Any]]:
    packages: list[dict[str, Any]] = await hub.run(
        hub.catalog.packages, http.base_url(request), True
    )
    return packages


def _group(name: str, count: int) -> dict[str, Any]:
    return {
        "id": name,
        "name": name,
        "title": name,
        "display_name": name,
        "description": "",
        "type": "group",
        "is_organization": False,
        "state": "active",
        "approval_status": "approved",
        "package_count": count,
    }


async def group_list(request: Request, hub: Hub, params: dict[str, Any]) -> Any:
    """The catalogue's themes as CKAN groups (names, or dictionaries with all_fields)."""
    counts = Counter(g["name"] for p in await _packages(request, hub) for g in p["groups"])
    names = sorted(counts)
    if _flag(params, "all_fields"):
        return [_group(n, counts[n]) for n in names]
    return names


async def group_show(request: Request, hub: Hub, params: dict[str, Any]) -> Any:
    """One theme as a CKAN group; include_datasets lists its datasets."""
    key = _id(params)
    packages = [
        p for p in await _packages(request, hub) if any(g["name"] == key for g in p["groups"])
    ]
    if not packages:
        raise ResourceNotFound(f"Group not found: {key}")
    group = _group(key, len(packages))
    if _flag(params, "include_datasets"):
        group["packages"] = packages
    return group


async def tag_list(request: Request, hub: Hub, params: dict[str, Any]) -> Any:
    """Every keyword of the catalogue (query: those containing it)."""
    query = str(params.get("query") or params.get("q") or "").lower()
    tags = {t["name"] for p in await _packages(request, hub) for t in p["tags"]}
    names = sorted(n for n in tags if query in n.lower())
    if _flag(params, "all_fields"):
        return [{"id": n, "name": n, "display_name": n, "vocabulary_id": None} for n in names]
    return names


async def license_list(request: Request, hub: Hub, params: dict[str, Any]) -> Any:
    """The licences a dataset may carry."""
    return [
        {
            "id": key,
            "title": LICENSE_TITLES.get(key, key),
            "url": url,
            "status": "active",
            "od_conformance": "approved" if url else "not reviewed",
        }
        for key, url in LICENSES.items()
    ]


ACTIONS: dict[str, Action] = {
    "group_list": group_list,
    "group_show": group_show,
    "tag_list": tag_list,
    "license_list": license_list,
}

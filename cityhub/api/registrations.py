"""/ngsi-ld/v1/csourceRegistrations: register context sources, discover them, change, remove."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from cityhub.api import documents, http
from cityhub.api.params import options_of, paging
from cityhub.api.routing import route
from cityhub.auth import policy
from cityhub.broker.normalize import check_name, check_uri
from cityhub.broker.registration_service import OWNER, render_registration
from cityhub.jsonld import TermMap

BASE = "/ngsi-ld/v1/csourceRegistrations"


def _shown(request: Request, doc: dict[str, Any], tm: TermMap) -> dict[str, Any]:
    """As the API shows it; contextSourceInfo values (often the source's credentials) only
    to the department that registered it."""
    shown = render_registration(doc, tm, "sysAttrs" in options_of(request.query_params))
    if shown.get("contextSourceInfo") and not policy.may_see_secrets(
        http.principal_of(request), doc.get(OWNER)
    ):
        shown["contextSourceInfo"] = [
            {"key": i.get("key"), "value": "***"} for i in shown["contextSourceInfo"]
        ]
    return shown


def _names(text: str | None, what: str) -> list[str]:
    return [check_name(t.strip(), what) for t in (text or "").split(",") if t.strip()]


async def discover(request: Request) -> Response:
    tenant, tm = await http.read_prelude(request)
    hub = http.hub_of(request)
    params = request.query_params
    mtype = http.accepted(request)
    limit, offset, count = paging(params, hub.settings)
    types = {tm.expand(t) for t in _names(params.get("type"), "entity type")} or None
    attrs = {tm.expand(a) for a in _names(params.get("attrs"), "attribute name")} or None
    ids = {check_uri(i.strip(), "entity id") for i in params.get("id", "").split(",") if i.strip()}
    found = await hub.run(
        hub.registrations.discover, tenant, types, ids or None, attrs, params.get("q"), tm
    )
    page = [_shown(request, doc, tm) for doc in found[offset : offset + limit]]
    total = len(found) if count else None
    return http.results_response(request, page, mtype, total, (limit, offset, len(found)))


async def retrieve(request: Request) -> Response:
    tenant, tm = await http.read_prelude(request)
    hub = http.hub_of(request)
    doc = await hub.run(hub.registrations.get, tenant, http.path_uri(request, "reg_id"))
    return http.json_ld_response(request, _shown(request, doc, tm), http.accepted(request))


routes = [
    route(BASE, documents.create, "POST", policy.BROKER_WRITE),
    route(BASE, discover, "GET", policy.PUBLIC_READ),
    route(BASE + "/{reg_id}", retrieve, "GET", policy.PUBLIC_READ),
    route(BASE + "/{reg_id}", documents.update, "PATCH", policy.BROKER_WRITE),
    route(BASE + "/{reg_id}", documents.delete, "DELETE", policy.BROKER_WRITE),
]

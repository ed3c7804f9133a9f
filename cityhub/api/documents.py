"""Writes shared by the NGSI-LD resources kept as documents — subscriptions, subscriptions to
context sources, context source registrations: create, update (merge), delete. The service is
the one the request's path names; each route keeps its own reads."""

from __future__ import annotations

from typing import Any, Protocol

from starlette.requests import Request
from starlette.responses import Response

from cityhub.api import http
from cityhub.auth.principal import Principal

_KINDS = (  # collection path -> the Hub's service for it
    ("/ngsi-ld/v1/csourceSubscriptions", "csource_subscriptions"),
    ("/ngsi-ld/v1/csourceRegistrations", "registrations"),
    ("/ngsi-ld/v1/subscriptions", "subscriptions"),
)


class DocumentService(Protocol):
    def create(self, tenant: str, body: Any, context: Any, actor: Principal | None) -> str: ...

    def update(
        self, tenant: str, doc_id: str, body: Any, context: Any, actor: Principal | None
    ) -> None: ...

    def delete(self, tenant: str, doc_id: str, actor: Principal | None) -> None: ...


def collection(request: Request) -> tuple[DocumentService, str]:
    """The service and collection path the request's path names."""
    hub = http.hub_of(request)
    for base, name in _KINDS:
        if request.url.path.startswith(base):
            service: DocumentService = getattr(hub, name)
            return service, base
    raise RuntimeError(f"{request.url.path} is not a document collection")


def _doc_id(request: Request) -> str:
    (key,) = request.path_params  # sub_id or reg_id: the route's one parameter
    return http.path_uri(request, key)


async def create(request: Request) -> Response:
    hub = http.hub_of(request)
    tenant, body, _ = await http.write_prelude(request)  # an unavailable @context fails here
    context = http.context_value(request, body)
    actor = http.principal_of(request)
    service, base = collection(request)
    doc_id = await hub.write(service.create, tenant, http.without_context(body), context, actor)
    return Response(status_code=201, headers={"Location": f"{base}/{doc_id}"})


async def update(request: Request) -> Response:
    hub = http.hub_of(request)
    tenant, body, _ = await http.write_prelude(request, (http.JSON, http.JSON_LD, http.MERGE_PATCH))
    await hub.write(
        collection(request)[0].update,
        tenant,
        _doc_id(request),
        http.without_context(body),
        http.context_value(request, body),
        http.principal_of(request),
    )
    return http.no_content()


async def delete(request: Request) -> Response:
    hub = http.hub_of(request)
    tenant = http.tenant_of(request)
    actor = http.principal_of(request)
    await hub.write(collection(request)[0].delete, tenant, _doc_id(request), actor)
    return http.no_content()

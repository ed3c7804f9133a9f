"""One error renderer for every route: each API answers errors in its own shape (CKAN's
envelope under /api/action, Open311's error list under /open311/v2, NGSI-LD's ProblemDetails as
application/json under /ngsi-ld, problem+json elsewhere), also for errors raised before a
handler runs (routing, authorization, body limits)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from cityhub.api.http import JSON, problem_response
from cityhub.errors import CityHubError


def shaped_error(request: Request, exc: CityHubError) -> Response:
    path = request.url.path
    if path.startswith(("/api/action/", "/api/3/action/")):
        from cityhub.api.ckan import ckan_error

        return ckan_error(request, path.rsplit("/", 1)[-1], exc)
    if path.startswith("/open311/v2/") and exc.status < 500:
        from cityhub.api.open311 import open311_error

        return open311_error(path, exc)
    if path.startswith("/ngsi-ld/"):
        return problem_response(exc, JSON)
    return problem_response(exc)

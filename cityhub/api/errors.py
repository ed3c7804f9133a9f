"""One error renderer for every route: each API answers errors in its own shape (CKAN's
envelope under /api/action, Open311's error list under /open311/v2, NGSI-LD's ProblemDetails as
application/json under /ngsi-ld, problem+json elsewhere), also for errors raised before a
handler runs (routing, authorization, body limits)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from cityhub.api.http import JSON, problem_response
from cityhub.errors import NGSI_LD_ERRORS, CityHubError


def ngsi_ld_problem(exc: CityHubError) -> dict[str, Any]:
    """The problem as NGSI-LD clients can read it: NGSI-LD defines no error type for a missing
    key or a refusal, and clients map the `type` to their own errors (an unknown type breaks
    some), so 401 and 403 are typed InvalidRequest there, keeping their status and title."""
    problem = exc.to_problem()
    if exc.status in (401, 403) and not str(problem["type"]).startswith(NGSI_LD_ERRORS):
        problem["type"] = NGSI_LD_ERRORS + "InvalidRequest"
    return problem


def shaped_error(request: Request, exc: CityHubError) -> Response:
    path = request.url.path
    if path.startswith(("/api/action/", "/api/3/action/")):
        from cityhub.api.ckan import ckan_error

        return ckan_error(request, path.rsplit("/", 1)[-1], exc)
    if path.startswith("/open311/v2/") and exc.status < 500:
        from cityhub.api.open311 import open311_error

        return open311_error(path, exc)
    if path.startswith("/ngsi-ld/"):
        return problem_response(exc, JSON, ngsi_ld_problem(exc))
    return problem_response(exc)

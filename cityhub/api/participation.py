"""Participation at /participation/v1: proposals citizens make (any key), support (one support
per key) and comment on; the responsible department answers with a status. Read by anyone,
with personal data in texts masked for all but the author and the department."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from cityhub.api import http
from cityhub.api.routing import route
from cityhub.auth import policy
from cityhub.limits import whole_number
from cityhub.store.participation_sql import ProposalFilter
from cityhub.timeutil import now_us

PREFIX = "/participation/v1"


def _id(request: Request) -> int:
    return http.path_number(request, "proposal_id", "proposal")


async def list_proposals(request: Request) -> Response:
    """?district= &status= &department= &overdue=true &sort=supports|newest|due &limit &offset"""
    hub = http.hub_of(request)
    q = request.query_params
    flt = ProposalFilter(
        district=q.get("district") or None,
        status=q.get("status") or None,
        department=q.get("department") or None,
        overdue_at_us=now_us() if q.get("overdue", "").lower() in ("1", "true") else None,
        sort=q.get("sort", "supports"),
    )
    limit = whole_number(q.get("limit"), "limit", 1, 1000, 50)
    offset = whole_number(q.get("offset"), "offset", 0, 10_000_000, 0)
    rows = await hub.run(hub.proposals.find, flt, limit, offset)
    reader = http.principal_of(request)
    return http.ORJSONResponse([hub.proposals.view(r, reader) for r in rows])


async def propose(request: Request) -> Response:
    """{"title", "text", "district"?} → 201 with the proposal as routed and located."""
    hub = http.hub_of(request)
    body = await http.json_object(request)
    author = http.principal_of(request)
    row = await hub.run(hub.proposals.prepare, author, body)
    row = await hub.write(hub.proposals.submit, row)
    return http.ORJSONResponse(hub.proposals.view(row, author), status_code=201)


async def show(request: Request) -> Response:
    hub = http.hub_of(request)
    ident = _id(request)
    reader = http.principal_of(request)

    def read() -> dict[str, object]:
        row = hub.proposals.get(ident)
        comments = hub.store.participation.comments(ident)
        return {
            **hub.proposals.view(row, reader),
            "comments": [hub.proposals.comment_view(c, row, reader) for c in comments],
        }

    return http.ORJSONResponse(await hub.run(read))


async def support(request: Request) -> Response:
    """One support per key: a second from the same key is 409."""
    hub = http.hub_of(request)
    reader = http.principal_of(request)
    row = await hub.write(hub.proposals.support, _id(request), reader)
    return http.ORJSONResponse(hub.proposals.view(row, reader), status_code=201)


async def comment(request: Request) -> Response:
    hub = http.hub_of(request)
    body = await http.json_object(request)
    ident = await hub.write(hub.proposals.comment, _id(request), http.principal_of(request), body)
    return http.ORJSONResponse({"id": ident}, status_code=201)


async def answer(request: Request) -> Response:
    """{"status": accepted|in_study|rejected, "text"}: the department's public answer."""
    hub = http.hub_of(request)
    body = await http.json_object(request)
    reader = http.principal_of(request)
    row = await hub.write(hub.proposals.answer, _id(request), reader, body)
    return http.ORJSONResponse(hub.proposals.view(row, reader))


def _round(request: Request) -> int:
    return http.path_number(request, "round_id", "budget round")


async def open_round(request: Request) -> Response:
    """{"title", "opens", "closes", "budgets": {district: amount}, "projects": [...]}"""
    hub = http.hub_of(request)
    body = await http.json_object(request)
    prepared = await hub.run(hub.budgets.prepare, http.principal_of(request), body)
    made = await hub.write(hub.budgets.create, prepared)
    return http.ORJSONResponse(await hub.run(hub.budgets.view, made.id), status_code=201)


async def show_round(request: Request) -> Response:
    """The round, its phase and turnout; the count once voting has closed."""
    hub = http.hub_of(request)
    return http.ORJSONResponse(await hub.run(hub.budgets.view, _round(request)))


async def vote(request: Request) -> Response:
    """{"projects": [ids]}: one approval ballot per key, within one district's budget."""
    hub = http.hub_of(request)
    body = await http.json_object(request)
    await hub.write(hub.budgets.cast, _round(request), http.principal_of(request), body)
    return http.ORJSONResponse({"counted": True}, status_code=201)


routes = [
    route(PREFIX + "/proposals", list_proposals, "GET", policy.CITY_READ),
    route(PREFIX + "/proposals", propose, "POST", policy.PARTICIPATE),
    route(PREFIX + "/proposals/{proposal_id}", show, "GET", policy.CITY_READ),
    route(PREFIX + "/proposals/{proposal_id}/supports", support, "POST", policy.PARTICIPATE),
    route(PREFIX + "/proposals/{proposal_id}/comments", comment, "POST", policy.PARTICIPATE),
    route(PREFIX + "/proposals/{proposal_id}/answer", answer, "POST", policy.STAFF_WRITE),
    route(PREFIX + "/budgets", open_round, "POST", policy.STAFF_WRITE),
    route(PREFIX + "/budgets/{round_id}", show_round, "GET", policy.CITY_READ),
    route(PREFIX + "/budgets/{round_id}/ballots", vote, "POST", policy.PARTICIPATE),
]

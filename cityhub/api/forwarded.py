"""The HTTP side of distributed writes (NGSI-LD 4.3.6): an entity write split between this
broker and the context sources registered for it, answered as one.

When every part succeeds the client gets the operation's usual answer; when the write had
one part and it failed, that part's error; otherwise, when any part fails (here or at a
source), 207 with the parts that succeeded and one error per failed part, naming the
registration for a source's failure. A source that is down or late is a failed
part, never a stalled request (`CITYHUB_FEDERATION_TIMEOUT`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

import orjson
from starlette.requests import Request
from starlette.responses import Response

from cityhub.api import http
from cityhub.api.params import flag
from cityhub.broker.batch import BatchResult
from cityhub.broker.federation import Answer, Forwarded
from cityhub.broker.forwarding import NO_PLAN, WritePlan, plan_write, takes_writes
from cityhub.broker.registration_service import usable_by
from cityhub.broker.registrations import Covered
from cityhub.errors import NGSI_LD_ERRORS, CityHubError
from cityhub.jsonld import TermMap

__all__ = ["attribute_names", "batch", "distributed", "entity_types", "plan_for"]

_NOT_ATTRIBUTES = frozenset(("id", "type", "@context", "scope", "createdAt", "modifiedAt"))
_DELETIONS = frozenset(("deleteEntity", "deleteAttrs", "purgeEntity", "deleteBatch"))
LocalWrite = Callable[[Any], Awaitable[Response]]


def attribute_names(body: Any, tm: TermMap) -> set[str]:
    """The expanded names of the attributes an entity or fragment body writes."""
    if not isinstance(body, dict):
        return set()
    return {tm.expand(k) for k in body if k not in _NOT_ATTRIBUTES}


def entity_types(body: Any, tm: TermMap) -> set[str] | None:
    raw = body.get("type") if isinstance(body, dict) else None
    given = raw if isinstance(raw, list) else [raw]
    types = {tm.expand(t) for t in given if isinstance(t, str)}
    return types or None


async def plan_for(
    request: Request,
    tenant: str,
    operation: str,
    entity_id: str | None,
    names: set[str] | None,
    types: set[str] | None = None,
) -> WritePlan:
    """Which sources this write goes to: none for `local=true`, for a request that already
    passed through this broker, or when no live registration supports the operation."""
    hub = http.hub_of(request)
    candidates = await _candidates(request, tenant, operation)
    if not candidates:
        return NO_PLAN
    if types is None and entity_id and any(c.types for _, cs in candidates for c in cs):
        held = await hub.run(hub.store.get_entity, tenant, entity_id)
        types = set(held.types) if held is not None else None  # unknown here: any type
    return plan_write(candidates, operation, entity_id, types, names)


async def distributed(
    request: Request,
    operation: str,
    entity_id: str | None,
    body: Any,
    tm: TermMap,
    local: LocalWrite,
    done: Callable[[], Response],
    names: set[str] | None,
    attribute: str | None = None,
    types: set[str] | None = None,
) -> Response:
    """An entity write, made here (`local`, given the body) and at the sources registered for
    it. `names`: the expanded attributes written, None for the entity as a whole."""
    plan = await plan_for(request, http.tenant_of(request), operation, entity_id, names, types)
    if not plan.targets:
        return await local(body)
    deletion = operation in _DELETIONS
    return await carry_out(request, plan, entity_id, body, tm, local, done, attribute, deletion)


async def _candidates(
    request: Request, tenant: str, operation: str
) -> list[tuple[dict[str, Any], list[Covered]]]:
    """The registrations that may take part in this write, for this writer: none for
    `local=true` or for a request that already passed through this broker."""
    hub = http.hub_of(request)
    if flag(request.query_params, "local"):
        return []
    if not hub.federation.forwarding(request.headers.get("via", "")):
        return []
    registrations = hub.federation.registrations
    live = registrations.cached(tenant)
    if live is None:
        live = await hub.run(registrations.live, tenant)
    actor = http.principal_of(request)
    return [
        (doc, covered)
        for doc, covered in live
        if takes_writes(doc, operation) and usable_by(doc, actor)
    ]


def _part(body: Any, tm: TermMap, keep: Callable[[str], bool]) -> Any:
    if not isinstance(body, dict):
        return body
    return {k: v for k, v in body.items() if k in _NOT_ATTRIBUTES or keep(tm.expand(k))}


async def carry_out(
    request: Request,
    plan: WritePlan,
    entity_id: str | None,
    body: Any,
    tm: TermMap,
    local: LocalWrite,
    done: Callable[[], Response],
    attribute: str | None = None,
    deletion: bool = False,
) -> Response:
    """Send each source its part of the write, make the part kept here with `local` (given the
    body without what the sources hold instead of us), and answer for the whole.
    `attribute`: the expanded name a single-attribute operation writes (body-less or not).
    A `deletion` is made here as well even where a source holds what is deleted, so no copy
    is left behind; there, not finding it here is no error."""
    hub = http.hub_of(request)

    def part_for(keep: Callable[[str], bool]) -> Any:
        return body if attribute is not None else _part(body, tm, keep)  # one attribute: as sent

    sends = [_forwarded(request, t.registration, part_for(t.receives)) for t in plan.targets]
    remote = asyncio.ensure_future(
        hub.run(hub.federation.send_all, sends, request.headers.get("via", ""))
    )
    kept = part_for(plan.kept_here)
    taken_away = not _runs_here(plan, body, kept, attribute, tm)
    runs_here = deletion or not taken_away
    answer: Response | None = None
    errors: list[dict[str, Any]] = []
    if runs_here:
        try:
            answer = await local(kept)
        except CityHubError as exc:
            errors.append({**_about(entity_id), "error": exc.to_problem()})
    answers = await remote
    partial = False
    succeeded = runs_here and not errors
    for target, got in zip(plan.targets, answers, strict=True):
        error = _failure(got)
        if error is None:
            succeeded = True
            partial = partial or (not isinstance(got, str) and got.status == 207)
            continue
        errors.append({**_about(entity_id), "registrationId": target.id, "error": error})
    if succeeded and (attribute is not None or (deletion and taken_away)):
        # an attribute not found here where another part had it; a copy not found here of what
        # a source holds instead of us
        errors = [e for e in errors if e["error"].get("status") != 404]
    if not errors and not partial:
        return answer if answer is not None else done()
    if not succeeded and not partial and len(errors) == 1:
        # the write's only part failed: its error is the answer (a source's 409 stays a 409)
        problem = errors[0]["error"]
        return http.NgsiJsonResponse(problem, status_code=int(problem.get("status", 500)))
    return http.NgsiJsonResponse(
        {"success": [entity_id] if succeeded and entity_id else [], "errors": errors},
        status_code=207,
    )


def _about(entity_id: str | None) -> dict[str, str]:
    return {"entityId": entity_id} if entity_id else {}  # a purge is about no one entity


def _runs_here(plan: WritePlan, body: Any, kept: Any, attribute: str | None, tm: TermMap) -> bool:
    """Whether part of the write is kept here: not when a source takes the whole entity, the
    one attribute written, or every attribute the body writes."""
    if plan.all_taken:
        return False
    if attribute is not None:
        return plan.kept_here(attribute)
    return not attribute_names(body, tm) or bool(attribute_names(kept, tm))


def _failure(got: Answer) -> dict[str, Any] | None:
    """The error a source's answer stands for (None when it succeeded)."""
    if isinstance(got, str):
        return _problem(503, "context source did not answer", got)
    status, body = got.status, got.body
    if status < 300:
        return None
    try:
        parsed = orjson.loads(body) if body else None
    except orjson.JSONDecodeError:
        parsed = None
    if isinstance(parsed, dict) and isinstance(parsed.get("type"), str):
        return {**parsed, "status": parsed.get("status", status)}
    return _problem(status, "the context source refused the write", f"HTTP {status}")


_ERROR_NAMES = {404: "ResourceNotFound", 409: "AlreadyExists", 422: "OperationNotSupported"}


def _problem(status: int, title: str, detail: str) -> dict[str, Any]:
    name = _ERROR_NAMES.get(status, "BadRequestData" if status < 500 else "InternalError")
    return {
        "type": NGSI_LD_ERRORS + name,
        "title": title,
        "status": status,
        "detail": detail,
    }


def _forwarded(request: Request, registration: dict[str, Any], body: Any) -> Forwarded:
    """The request a source gets: the same method, path and options (not `local`), the
    client's @context, and its part of the body."""
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "local"]
    target = quote(request.url.path, safe="/:") + (
        f"?{urlencode(query, safe=':,')}" if query else ""
    )
    headers = {"Accept": "application/json"}
    link = request.headers.get("link")
    if link:
        headers["Link"] = link
    payload = None
    if body is not None:
        payload = orjson.dumps(body)
        headers["Content-Type"] = http.media_type(request) or http.JSON
    return Forwarded(registration, request.method, target, headers, payload)


async def batch(
    request: Request,
    operation: str,
    members: Any,
    context_of: Callable[[Any], TermMap],
    local: Callable[[list[Any]], Awaitable[BatchResult]],
) -> BatchResult:
    """A batch operation made here (`local`, given the members or parts kept here) and at the
    sources registered for its members: one request per source with its parts of every member.
    A source's failure is an error for each member it was sent (with its registrationId)."""
    split = await _split_batch(request, operation, members, context_of)
    if split is None:
        return await local(members)
    hub = http.hub_of(request)
    sends = [_forwarded(request, doc, parts) for doc, parts, _ in split.targets]
    remote = asyncio.ensure_future(
        hub.run(hub.federation.send_all, sends, request.headers.get("via", ""))
    )
    result = await local(split.local) if split.local else BatchResult()
    for (doc, _, ids), got in zip(split.targets, await remote, strict=True):
        error = _failure(got)
        for entity_id in ids:
            if error is not None:
                entry = {"entityId": entity_id, "registrationId": doc.get("id"), "error": error}
                result.forwarded_errors.append(entry)
                continue
            if entity_id not in result.success:
                result.success.append(entity_id)
            if operation == "createBatch" and entity_id not in result.created:
                result.created.append(entity_id)
    done = set(result.success) & split.elsewhere  # a copy not found here is no error
    result.errors = [(i, e) for i, e in result.errors if not (i in done and e.status == 404)]
    return result


@dataclass
class _BatchSplit:
    local: list[Any]
    targets: list[tuple[dict[str, Any], list[Any], list[str]]]  # registration, parts, ids
    elsewhere: set[str] = field(default_factory=set)  # deleted here only in case of a copy


async def _split_batch(
    request: Request, operation: str, members: Any, context_of: Callable[[Any], TermMap]
) -> _BatchSplit | None:
    if not isinstance(members, list) or not members:
        return None
    hub = http.hub_of(request)
    tenant = http.tenant_of(request)
    candidates = await _candidates(request, tenant, operation)
    if not candidates:
        return None
    typed = any(c.types for _, cs in candidates for c in cs)

    def split() -> _BatchSplit:  # on a reader: @contexts resolved, held types looked up
        out = _BatchSplit([], [])
        by_registration: dict[str, tuple[dict[str, Any], list[Any], list[str]]] = {}
        for item in members:
            member = _member(item, context_of)
            if member is None:  # malformed: the local batch reports it
                out.local.append(item)
                continue
            entity_id, tm, types = member
            if types is None and typed:
                held = hub.store.get_entity(tenant, entity_id)
                types = set(held.types) if held is not None else None
            names = attribute_names(item, tm) if isinstance(item, dict) else None
            plan = plan_write(candidates, operation, entity_id, types, names)
            for target in plan.targets:
                part = _part(item, tm, target.receives)
                entry = by_registration.setdefault(target.id, (target.registration, [], []))
                entry[1].append(part)
                entry[2].append(entity_id)
            kept = _part(item, tm, plan.kept_here)
            if not plan.targets or _runs_here(plan, item, kept, None, tm):
                out.local.append(kept)
            elif operation in _DELETIONS:  # no copy left here of what a source holds
                out.local.append(item)
                out.elsewhere.add(entity_id)
        out.targets = list(by_registration.values())
        return out

    return await hub.run(split)


def _member(
    item: Any, context_of: Callable[[Any], TermMap]
) -> tuple[str, TermMap, set[str] | None] | None:
    """A batch member's id, @context and types (None when unknown), or None if malformed."""
    if isinstance(item, str):  # a deletion
        return item, TermMap(), None
    if not isinstance(item, dict) or not isinstance(item.get("id"), str):
        return None
    try:
        tm = context_of(item)
    except CityHubError:
        return None
    return item["id"], tm, entity_types(item, tm)

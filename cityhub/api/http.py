"""Request/response plumbing shared by every route: bodies, media types, @context, problems."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import orjson
from starlette.requests import Request
from starlette.responses import Response

from cityhub.auth.principal import Principal
from cityhub.errors import (
    BadRequestData,
    CityHubError,
    InvalidRequest,
    NotAcceptable,
    PayloadTooLarge,
    ResourceNotFound,
    UnsupportedMediaType,
)
from cityhub.hub import Hub
from cityhub.jsonld import TermMap
from cityhub.limits import MAX_DEPTH, check_depth

JSON = "application/json"
JSON_LD = "application/ld+json"
GEO_JSON = "application/geo+json"
MERGE_PATCH = "application/merge-patch+json"
PROBLEM = "application/problem+json"
UTF8 = "; charset=utf-8"  # said explicitly: some clients guess GBK for CJK text otherwise
CONTEXT_REL = "http://www.w3.org/ns/json-ld#context"
# Server-made report pages (the daily brief, evaluation reports, the API index): their own
# inline styles and charts, never a script, nothing from elsewhere.
REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"
_LINK = re.compile(r"<([^>]*)>\s*((?:;\s*[^;,]+)*)")


class ORJSONResponse(Response):
    media_type = JSON + "; charset=utf-8"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


class NgsiJsonResponse(ORJSONResponse):
    """An NGSI-LD API answer: exactly `application/json` (6.3.5), as NGSI-LD clients compare it;
    JSON is UTF-8 by definition (RFC 8259 defines no charset parameter for it)."""

    media_type = JSON


# How a client that was refused for want of a valid key should authenticate (RFC 6750).
WWW_AUTHENTICATE = 'Bearer realm="cityhub"'


def problem_response(
    error: CityHubError, media: str = PROBLEM + UTF8, problem: dict[str, Any] | None = None
) -> Response:
    """RFC 7807 problem details; NGSI-LD sends the same body as `application/json` (its API
    defines ProblemDetails so), the other APIs as `application/problem+json`. A 401 says how
    to authenticate."""
    headers = {"WWW-Authenticate": WWW_AUTHENTICATE} if error.status == 401 else None
    return Response(
        orjson.dumps(problem or error.to_problem()),
        status_code=error.status,
        media_type=media,
        headers=headers,
    )


def principal_of(request: Request) -> Principal:
    """Who is asking (its route's guard found out)."""
    from cityhub.api.routing import principal_of as found

    return found(request)


def hub_of(request: Request) -> Hub:
    hub: Hub = request.app.state.hub
    return hub


def base_url(request: Request) -> str:
    """The server's own address as the client reached it, without a trailing slash."""
    return str(request.base_url).rstrip("/")


def check_tenant(value: str) -> str:
    tenant = value.strip()
    if tenant and not re.fullmatch(r"[A-Za-z0-9_\-.:/]{1,64}", tenant):
        raise BadRequestData(f"invalid NGSILD-Tenant {tenant!r}")
    return tenant


def tenant_of(request: Request) -> str:
    """The tenant the route's guard resolved (and authorized) for this request."""
    from cityhub.api.routing import tenant_of as found

    return found(request)


def headers_of(request: Request) -> dict[str, str]:
    return {k.lower(): v for k, v in request.headers.items()}


def link_context(request: Request) -> str | None:
    """The @context URL given in a Link header, if any."""
    header = request.headers.get("link")
    if not header:
        return None
    for match in _LINK.finditer(header):
        url, params = match.group(1), match.group(2)
        if CONTEXT_REL in params:
            return url.strip()
    return None


def context_link(url: str) -> str:
    """A Link header value naming `url` as the JSON-LD context of a body or a query."""
    return f'<{url}>; rel="{CONTEXT_REL}"; type="{JSON_LD}"'


def media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


async def read_bytes(request: Request, limit: int | None = None) -> bytes:
    """The whole body, counted while it streams in: a body over the limit is refused before
    it is held in memory (a declared Content-Length over it is refused before reading)."""
    cached = getattr(request.state, "body_bytes", None)
    if isinstance(cached, bytes):
        return cached
    limit = limit if limit is not None else hub_of(request).settings.max_body_bytes
    declared = request.headers.get("content-length")
    if declared and declared.isdecimal() and int(declared) > limit:
        raise PayloadTooLarge(f"the body is {declared} bytes; the limit is {limit} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"the body exceeds the limit of {limit} bytes")
        chunks.append(chunk)
    raw = b"".join(chunks)
    request.state.body_bytes = raw
    request._body = raw  # Starlette's own readers (form parsing) take it from here
    return raw


async def read_form(request: Request) -> dict[str, str]:
    """An application/x-www-form-urlencoded body (limited like every body), last value wins."""
    from urllib.parse import parse_qsl

    raw = await read_bytes(request)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequestData("the form is not valid UTF-8") from exc
    try:
        pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=1000, strict_parsing=False)
    except ValueError as exc:
        raise BadRequestData(f"the form cannot be read: {exc}") from exc
    form = dict(pairs)
    if any("\x00" in k or "\x00" in v for k, v in form.items()):
        raise BadRequestData("NUL characters are not allowed")
    return form


def parse_json(raw: bytes, depth: int = MAX_DEPTH) -> Any:
    """JSON text to values: invalid JSON, NUL characters and nesting deeper than MAX_DEPTH are
    request errors (the NGSI-LD/Open311/CKAN error shapes come from the caller's error type)."""
    if not raw.strip():
        raise InvalidRequest("the request body is empty")
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidRequest(f"the body is not valid JSON: {exc}") from exc
    if b"\\u0000" in raw:
        raise BadRequestData("NUL characters (\\u0000) are not allowed in text")
    check_depth(body, depth)
    return body


_PARSE_INLINE = 64 * 1024


async def read_body(
    request: Request,
    allowed: tuple[str, ...] = (JSON, JSON_LD),
    context_rules: bool = True,
    depth: int = MAX_DEPTH,
) -> Any:
    """The parsed JSON body, after the size, media type and @context/Link rules of NGSI-LD."""
    ctype = media_type(request)
    if ctype not in allowed:
        raise UnsupportedMediaType(
            f"Content-Type '{ctype or 'none'}' is not supported here; use {' or '.join(allowed)}"
        )
    raw = await read_bytes(request)
    if len(raw) > _PARSE_INLINE:  # a large body is parsed and checked off the event loop
        body = await hub_of(request).run(parse_json, raw, depth)
    else:
        body = parse_json(raw, depth)
    if not context_rules:
        return body
    if not isinstance(body, dict | list) or body == []:
        raise InvalidRequest("the body must be a JSON object (a non-empty array for batches)")
    has_context = _has_context(body)
    if ctype == JSON_LD:
        if link_context(request):
            raise BadRequestData("with application/ld+json the @context goes in the body, not Link")
        if not has_context:
            raise BadRequestData("an application/ld+json body must carry an @context")
    elif has_context:
        raise BadRequestData("a body sent as application/json must not carry @context")
    return body


def _has_context(body: Any) -> bool:
    if isinstance(body, dict):
        return "@context" in body
    if isinstance(body, list) and body:
        return all(isinstance(i, dict) and "@context" in i for i in body)
    return False


def context_value(request: Request, body: Any = None) -> Any:
    """The @context a request is written in: the body's, the Link header's, or None (core)."""
    if isinstance(body, dict) and "@context" in body:
        return body["@context"]
    return link_context(request)


async def termmap(request: Request, context: Any) -> TermMap:
    hub = hub_of(request)
    if context is not None:
        hub.contexts.count_use(context)
    known = hub.contexts.cached(context)
    if known is not None:
        return known
    return await hub.run(hub.contexts.resolve, context)


def accepted(request: Request, allowed: tuple[str, ...] = (JSON, JSON_LD)) -> str:
    """Pick the response media type from Accept (JSON when anything goes)."""
    header = request.headers.get("accept", "")
    if not header.strip():
        return JSON
    best: tuple[float, int, str] | None = None
    for position, part in enumerate(header.split(",")):
        pieces = [p.strip() for p in part.split(";")]
        mtype, q = pieces[0].lower(), 1.0
        for param in pieces[1:]:
            if param.startswith("q="):
                try:
                    q = float(param[2:])
                except ValueError:
                    q = 0.0
        candidates = (
            [allowed[0]]
            if mtype in ("*/*", "application/*")
            else [mtype]
            if mtype in allowed
            else []
        )
        for candidate in candidates:
            if q > 0 and (best is None or (q, -position) > (best[0], best[1])):
                best = (q, -position, candidate)
    if best is None:
        raise NotAcceptable(f"cannot answer with '{header}'; use one of {', '.join(allowed)}")
    return best[2]


# The core context as answers name it: the published, versioned URL of the core this broker
# resolves by default (cityhub.jsonld.resolver: v1.8 and later share one term set).
ANSWER_CORE_CONTEXT = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld"
NGSI_LD_VERSION = "1.8"  # the version of ETSI GS CIM 009 whose core context answers name


def json_ld_response(
    request: Request,
    content: Any,
    mtype: str,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """Serialise an NGSI-LD payload with the request's @context in a Link header or the body
    (without one, the versioned URL of the core context, as a list in bodies)."""
    given = link_context(request)
    context: Any = given or [ANSWER_CORE_CONTEXT]
    link_url = given or ANSWER_CORE_CONTEXT
    out_headers = dict(headers or {})
    if mtype == JSON_LD:
        if isinstance(content, dict):
            content = {"@context": context, **content}
        elif isinstance(content, list):
            content = [{"@context": context, **c} if isinstance(c, dict) else c for c in content]
    elif mtype == GEO_JSON:
        if isinstance(content, dict):
            content = {**content, "@context": context}
    else:
        link = context_link(link_url)
        pages = out_headers.get("Link")
        out_headers["Link"] = f"{link},{pages}" if pages else link
    # exactly the NGSI-LD media type, as NgsiJsonResponse
    return Response(
        orjson.dumps(content), status_code=status, media_type=mtype, headers=out_headers
    )


def no_content(headers: dict[str, str] | None = None) -> Response:
    return Response(status_code=204, headers=headers)


_PATH_WHAT = {
    "entity_id": "entity id",
    "sub_id": "subscription id",
    "instance_id": "instance id",
    "reg_id": "registration id",
}


def path_uri(request: Request, key: str) -> str:
    """An id from the path, which NGSI-LD requires to be a URI (400 BadRequestData if not)."""
    from cityhub.broker.normalize import check_uri

    return check_uri(request.path_params[key], _PATH_WHAT.get(key, key))


def path_name(request: Request, key: str) -> str:
    """An attribute name from the path (400 BadRequestData if it is not a valid name)."""
    from cityhub.broker.normalize import check_name

    return check_name(request.path_params[key])


def path_number(request: Request, key: str, what: str) -> int:
    """A record's number from the path; anything that is not one names no record (404)."""
    raw = request.path_params[key]
    if not raw.isdecimal() or len(raw) > 18:
        raise ResourceNotFound(f"{what} '{raw}' was not found")
    return int(raw)


async def write_prelude(
    request: Request, allowed: tuple[str, ...] = (JSON, JSON_LD)
) -> tuple[str, Any, TermMap]:
    """For a write (its route's guard has checked the key): the tenant, the body, @context."""
    tenant = tenant_of(request)
    body = await read_body(request, allowed)
    return tenant, body, await termmap(request, context_value(request, body))


async def read_prelude(request: Request) -> tuple[str, TermMap]:
    """For a read (its route's guard has checked the tenant): the tenant and the Link @context."""
    return tenant_of(request), await termmap(request, link_context(request))


async def bodiless_write_prelude(request: Request) -> tuple[str, TermMap]:
    """For a write without a body (DELETE): the tenant and the Link @context."""
    return tenant_of(request), await termmap(request, link_context(request))


async def query_body_prelude(request: Request) -> tuple[str, dict[str, Any], TermMap]:
    """For a query sent as a body (POST .../query): a read with a JSON-object body."""
    tenant = tenant_of(request)
    body = await read_body(request, context_rules=False)
    if not isinstance(body, dict):
        raise BadRequestData("the body of a query must be a JSON object")
    # A query is a read: sent as application/ld+json it may name its @context in Link instead
    # of the body (as clients and the ETSI suite do); naming it in both stays an error.
    inline = "@context" in body
    if media_type(request) == JSON and inline:
        raise BadRequestData("a body sent as application/json must not carry @context")
    if inline and link_context(request):
        raise BadRequestData("with application/ld+json the @context goes in the body, not Link")
    return tenant, body, await termmap(request, context_value(request, body))


def results_response(
    request: Request,
    content: Any,
    mtype: str,
    total: int | None,
    pages: tuple[int, int, int] | None = None,
) -> Response:
    """A page of results, with NGSILD-Results-Count when the count was asked for; `pages`
    (limit, offset, all) adds Link headers to the previous and next page."""
    headers = {"NGSILD-Results-Count": str(total)} if total is not None else {}
    if pages is not None:
        links = page_links(request, *pages)
        if links:
            headers["Link"] = links
    return json_ld_response(request, content, mtype, headers=headers)


def page_links(request: Request, limit: int, offset: int, everything: int) -> str:
    """`</path?…&limit=L&offset=O>;rel="prev";type=…` and the same for the next page (6.3.12);
    the request's other parameters are kept, so the next page is the same query's next page."""
    kept = [
        quote(part, safe=_QUERY_SAFE)
        for part in request.url.query.split("&")
        if part and not part.startswith(("limit=", "offset="))
    ]
    base = request.url.path + "?" + "".join(part + "&" for part in kept)
    links = []
    if offset > 0 and limit > 0:
        before = max(0, offset - limit)
        links.append(f'<{base}limit={limit}&offset={before}>;rel="prev";type="{JSON_LD}"')
    if limit > 0 and offset + limit < everything:
        links.append(f'<{base}limit={limit}&offset={offset + limit}>;rel="next";type="{JSON_LD}"')
    return ",".join(links)


# what a query's parameter may keep as sent in a Link header's <URI> (a comma, `<`, `>`, `"`
# or a space is percent-encoded: they would end the URI or the link for a naive reader)
_QUERY_SAFE = "=;/:@!$'()*+?-._~%"


def without_context(body: Any) -> Any:
    return {k: v for k, v in body.items() if k != "@context"} if isinstance(body, dict) else body


async def json_object(request: Request) -> dict[str, Any]:
    """A plain JSON object body (no NGSI-LD @context rules)."""
    body = await read_body(request, allowed=(JSON,), context_rules=False)
    if not isinstance(body, dict):
        raise BadRequestData("the body must be a JSON object")
    return body


def texts_of(body: dict[str, Any], most: int = 10_000) -> list[str]:
    """`text` (a string) or `texts` (a list of strings) from a body."""
    texts = body.get("texts", [body.get("text")] if "text" in body else None)
    if not isinstance(texts, list) or not texts or not all(isinstance(t, str) for t in texts):
        raise BadRequestData("give 'text' (a string) or 'texts' (a list of strings)")
    if len(texts) > most:
        raise BadRequestData(f"at most {most:,} texts per call")
    return texts

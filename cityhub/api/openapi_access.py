"""Who may call each documented operation, read from the rule of the route that serves it.

The operations' shapes are written per area (`openapi*.py`); access is not: for every documented
operation this module finds the served route (as Starlette would match a request for it) and
writes its security requirement, its 401/403 answers and one line naming who may call, from
that route's `Rule`. So the published document cannot disagree with the guard, and an operation
no route serves cannot be published (`build_openapi` refuses it).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any

from cityhub.api.routing import GuardedRoute
from cityhub.auth.keys import SESSION_COOKIE
from cityhub.auth.policy import Need

METHODS = ("get", "post", "put", "patch", "delete")

SCHEMES: dict[str, dict[str, Any]] = {
    "bearerKey": {
        "type": "http",
        "scheme": "bearer",
        "description": "An API key (`cityhub keys create`): `Authorization: Bearer KEY`; CKAN "
        "clients may send the bare key in Authorization or X-CKAN-API-Key.",
    },
    "apiKeyHeader": {"type": "apiKey", "in": "header", "name": "X-Api-Key"},
    "dashboardSession": {
        "type": "apiKey",
        "in": "cookie",
        "name": SESSION_COOKIE,
        "description": "The dashboard's session, from POST /dashboard/v1/session.",
    },
    "open311Key": {
        "type": "apiKey",
        "in": "query",
        "name": "api_key",
        "description": "Open311 GeoReport's api_key (also accepted as a form field).",
    },
}

_PROBLEM = {"$ref": "#/components/schemas/ProblemDetails"}
_REFUSED = {
    "401": {
        "description": "No key, or a key that is unknown, expired or revoked",
        "content": {"application/problem+json": {"schema": _PROBLEM}},
    },
    "403": {
        "description": "The key's role, department or tenants do not allow this",
        "content": {"application/problem+json": {"schema": _PROBLEM}},
    },
}


def _own_operations(paths: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, str, Any]]:
    """(path, method, operation) for every operation under `prefix`, each made this path's own
    copy first: path items, operations and answers are shared between paths when built, so
    they are changed in copies, never in place."""
    for path in paths:
        if not path.startswith(prefix):
            continue
        operations = paths[path] = dict(paths[path])
        for method, shared in list(operations.items()):
            if method in METHODS:
                operations[method] = dict(shared)
                yield path, method, operations[method]


def ngsi_ld_operations(paths: dict[str, Any]) -> None:
    """NGSI-LD's operations as its API defines them: ProblemDetails as application/json, the
    `Link` header for a JSON request's @context, and plain JSON as the body media type that
    generated clients send."""
    for _, _, operation in _own_operations(paths, "/ngsi-ld/"):
        responses = operation["responses"] = dict(operation.get("responses", {}))
        for code, answer in list(responses.items()):
            content = answer.get("content", {})
            if "application/problem+json" in content:
                problem = content["application/problem+json"]
                responses[code] = {**answer, "content": {"application/json": problem}}
        operation["parameters"] = [*operation.get("parameters", []), LINK]
        body = dict(operation.get("requestBody", {}).get("content", {}))
        if "application/json" in body:
            # Generated clients send the last media type whose schema a body matches:
            # plain JSON (its @context in Link, or none) is the one clients mean.
            body["application/json"] = body.pop("application/json")
            operation["requestBody"] = {**operation["requestBody"], "content": body}


LINK = {
    "name": "Link",
    "in": "header",
    "required": False,
    "description": "The @context of a JSON request: "
    '<https://example.org/context.jsonld>; rel="http://www.w3.org/ns/json-ld#context"; '
    'type="application/ld+json" (with application/ld+json it goes in the body instead).',
    # An HTTP header value: printable ASCII (control characters never reach the application).
    "schema": {"type": "string", "pattern": "^[ -~]*$"},
}


def operation_ids(paths: dict[str, Any]) -> None:
    """A unique operationId for every operation, from its summary (generated clients name
    their functions after it): `Query entities` -> queryEntities."""
    taken: set[str] = set()
    for path, method, operation in _own_operations(paths):
        words = re.findall(r"[A-Za-z0-9]+", operation.get("summary", "").split("(")[0])[:6]
        name = _camel(words) if words else ""
        if not name or name in taken:  # no summary, or one another operation has
            name = _camel([method, *re.findall(r"[A-Za-z0-9]+", path)])
        taken.add(name)
        operation["operationId"] = name


def _camel(words: list[str]) -> str:
    return words[0].lower() + "".join(w[:1].upper() + w[1:] for w in words[1:])


def serving_route(routes: Sequence[GuardedRoute], method: str, path: str) -> GuardedRoute | None:
    """The route a request for this documented operation reaches (parameters filled in)."""
    concrete = re.sub(r"\{[^}]+\}", "x", path)
    for route in routes:
        if route.method == method.upper() and route.path_regex.match(concrete):
            return route
    return None


def add_access(paths: dict[str, Any], routes: Sequence[GuardedRoute]) -> None:
    """Write each operation's access from its route's rule; an unserved operation is an error."""
    for path, operations in paths.items():
        for method, operation in operations.items():
            if method not in METHODS:
                continue
            route = serving_route(routes, method, path)
            if route is None:
                raise ValueError(f"{method.upper()} {path} is documented but no route serves it")
            rule = route.rule
            keys: list[dict[str, list[str]]] = [
                {"bearerKey": []},
                {"apiKeyHeader": []},
                {"dashboardSession": []},
            ]
            if rule.key_field:
                keys.append({"open311Key": []})
            who = f"Who may call: {rule.why} ({rule.summary})."
            operation["description"] = (
                f"{operation['description']}\n\n{who}" if operation.get("description") else who
            )
            operation["x-cityhub-access"] = rule.summary
            if rule.need == Need.ANYONE:
                operation["security"] = [{}, *keys]  # a key is optional (private tenants)
            else:
                operation["security"] = keys
                operation["responses"] = {**_REFUSED, **operation["responses"]}

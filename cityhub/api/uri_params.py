"""The URI parameters each NGSI-LD operation defines (ETSI GS CIM 009): a request naming any
other is refused with 400 InvalidRequest (6.3.20), so a misspelt or misplaced parameter (such
as `geoQ=`, which is a member of a query body, not a URI parameter) is an error the client
sees, never a filter silently left out.

The sets are generous on purpose: every parameter the specification defines for an operation
is accepted here, including the few this broker reads as no-ops (see the README's
conformance section); only names the operation does not define are refused."""

from __future__ import annotations

from collections.abc import Iterable

from cityhub.errors import InvalidRequest

# Accepted by every NGSI-LD operation: the representation and the distributed-operation flag.
_EVERY = frozenset({"options", "format", "local", "lang"})
_PAGE = frozenset({"limit", "offset", "count"})
_SHOW = frozenset(
    {
        "attrs",
        "pick",
        "omit",
        "geometryProperty",
        "datasetId",
        "entityMap",
        "containedBy",
        "join",
        "joinLevel",
        "expandValues",
        "jsonKeys",
        "collect",
    }
)
_SELECT = frozenset(
    {
        "id",
        "idPattern",
        "type",
        "q",
        "csf",
        "scopeQ",
        "georel",
        "geometry",
        "coordinates",
        "geoproperty",
        "orderBy",
    }
)
_TIME = frozenset(
    {
        "timerel",
        "timeAt",
        "endTimeAt",
        "timeproperty",
        "lastN",
        "aggrMethods",
        "aggrPeriodDuration",
    }
)
_QUERY = _SELECT | _SHOW | _PAGE
_RETRIEVE = _SHOW | {"type"}
_ATTR_DELETE = frozenset({"datasetId", "deleteAll"})
_PURGE = frozenset({"id", "idPattern", "type", "attrs", "q", "scopeQ", "keep", "drop"})
_PURGE |= {"georel", "geometry", "coordinates", "geoproperty"}

V1 = "/ngsi-ld/v1"
_ENTITY = V1 + "/entities/{entity_id}"
_TEMPORAL = V1 + "/temporal/entities"
_BY_ROUTE: dict[tuple[str, str], frozenset[str]] = {
    ("GET", V1 + "/entities"): _QUERY,
    ("POST", V1 + "/entities"): frozenset(),
    ("DELETE", V1 + "/entities"): _PURGE,
    ("GET", _ENTITY): _RETRIEVE,
    ("PUT", _ENTITY): frozenset(),
    ("PATCH", _ENTITY): frozenset(),
    ("DELETE", _ENTITY): frozenset({"type"}),
    ("POST", _ENTITY + "/attrs"): frozenset(),
    ("PATCH", _ENTITY + "/attrs"): frozenset(),
    ("PATCH", _ENTITY + "/attrs/{attr}"): frozenset({"datasetId"}),
    ("PUT", _ENTITY + "/attrs/{attr}"): frozenset({"datasetId"}),
    ("DELETE", _ENTITY + "/attrs/{attr}"): _ATTR_DELETE,
    ("POST", V1 + "/entityOperations/query"): _SHOW | _PAGE,
    ("GET", V1 + "/types"): _PAGE | {"details"},
    # `/types/` and `/attributes/` (an empty name) are the lists, as some clients ask for them.
    ("GET", V1 + "/types/{type:path}"): _PAGE | {"details"},
    ("GET", V1 + "/attributes"): _PAGE | {"details"},
    ("GET", V1 + "/attributes/{attr:path}"): _PAGE | {"details"},
    ("GET", V1 + "/jsonldContexts"): frozenset({"kind", "details"}),
    ("POST", V1 + "/jsonldContexts"): frozenset(),
    ("GET", V1 + "/jsonldContexts/{context_id:path}"): frozenset({"details"}),
    ("DELETE", V1 + "/jsonldContexts/{context_id:path}"): frozenset({"reload"}),
    ("GET", _TEMPORAL): _QUERY | _TIME,
    ("POST", _TEMPORAL): frozenset(),
    ("GET", _TEMPORAL + "/{entity_id}"): _RETRIEVE | _TIME,
    ("DELETE", _TEMPORAL + "/{entity_id}"): frozenset({"type"}),
    ("POST", _TEMPORAL + "/{entity_id}/attrs"): frozenset(),
    ("DELETE", _TEMPORAL + "/{entity_id}/attrs/{attr}"): _ATTR_DELETE,
    ("PATCH", _TEMPORAL + "/{entity_id}/attrs/{attr}/{instance_id}"): frozenset(),
    ("DELETE", _TEMPORAL + "/{entity_id}/attrs/{attr}/{instance_id}"): frozenset(),
    ("POST", V1 + "/temporal/entityOperations/query"): _SHOW | _PAGE | _TIME,
    ("GET", V1 + "/subscriptions"): _PAGE,
    ("GET", V1 + "/csourceSubscriptions"): _PAGE,
    ("GET", V1 + "/csourceRegistrations"): _SELECT | _PAGE | _TIME | {"attrs"},
}


def allowed(method: str, path: str) -> frozenset[str] | None:
    """The parameters an NGSI-LD route takes (None: not an NGSI-LD route, not checked here).
    A route listed nowhere above (a batch operation, a subscription or registration by id)
    takes only the parameters every operation does."""
    if not path.startswith(V1 + "/"):
        return None
    return _EVERY | _BY_ROUTE.get((method, path), frozenset())


def check_known(names: Iterable[str], known: frozenset[str]) -> None:
    unknown = sorted(set(names) - known)
    if unknown:
        raise InvalidRequest(
            f"unknown URI parameter {unknown[0]!r} for this operation (NGSI-LD 6.3.20)"
        )

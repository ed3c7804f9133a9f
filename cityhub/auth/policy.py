"""The authorization model: who may do what, by role, department and tenant. One module.

Every route declares a `Rule` (the least a caller must be, and how it uses the tenant); the
guard in `cityhub.api.routing` enforces it before the handler runs. What a rule cannot see from
the request alone (whose entity, whose request, whose subscription) is decided here too, by the
functions below, which services call with the record in hand.

With no API key in the store at all (a development store) every rule passes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum

from cityhub.auth.principal import Principal
from cityhub.errors import Forbidden, Unauthorized


class Need(IntEnum):
    """The least a caller must be for a route."""

    ANYONE = 0  # no key needed (a private tenant still needs a key bound to it)
    KEY = 1  # any valid key, a citizen's or an app's 'public' key included
    STAFF = 2  # a department's staff, steward or admin key
    STEWARD = 3  # a department's data steward, or an admin
    ADMIN = 4


NEED_ROLE = {
    Need.ANYONE: "anyone",
    Need.KEY: "public",
    Need.STAFF: "staff",
    Need.STEWARD: "steward",
    Need.ADMIN: "admin",
}


@dataclass(frozen=True)
class Rule:
    need: Need
    # "read": a private (or unknown) tenant needs a key bound to it; "bound": the key must be
    # bound to the tenant; "": the route is not tenant-scoped (the city's own APIs).
    tenant: str = ""
    # Where the tenant comes from: NGSI-LD's header, or also the IoT agents' fiware-service.
    tenant_header: str = "ngsild"
    # Open311 sends its key as a form field: the guard looks there too.
    key_field: str = ""
    why: str = ""  # one line for the README's table

    @property
    def summary(self) -> str:
        tenant = {"read": ", tenant read", "bound": ", bound tenant"}.get(self.tenant, "")
        return NEED_ROLE[self.need] + tenant


# The rules routes use (named, so the README's table reads as the model).
PUBLIC_READ = Rule(Need.ANYONE, "read", why="anyone; a private tenant needs a key bound to it")
CITY_READ = Rule(Need.ANYONE, why="anyone")
KEY_READ = Rule(Need.KEY, why="any valid key (a citizen's or an app's public key too)")
STAFF_READ = Rule(Need.STAFF, why="department keys (staff, steward, admin)")
BROKER_WRITE = Rule(
    Need.STAFF,
    "bound",
    why="department keys bound to the tenant; what exists is changed by its department "
    "(and admins) only; requests, KPIs and districts only through their services",
)
IOT_READ = Rule(
    Need.STAFF, "bound", "iot", why="department keys bound to the tenant (apikeys: own only)"
)
IOT_WRITE = Rule(
    Need.STAFF, "bound", "iot", why="department keys bound to the tenant; own groups/devices"
)
STAFF_WRITE = Rule(
    Need.STAFF, why="department keys; a record is changed by its department (and admins)"
)
STEWARD_WRITE = Rule(Need.STEWARD, why="the owning department's steward, or an admin")
STEWARD_READ = Rule(Need.STEWARD, why="stewards (their department's records), admins")
ADMIN_ONLY = Rule(Need.ADMIN, why="admins")
SURVEY_SUBMIT = Rule(
    Need.ANYONE, why="anyone, to an open survey; the answers are checked against the form"
)
PARTICIPATE = Rule(
    Need.KEY, why="any valid key (a citizen's too): one support per key; authors never shown"
)
ANALYTICS = Rule(Need.KEY, why="any valid key; size limits, a bounded pool and a deadline")
DEVICE = Rule(Need.ANYONE, "", "iot", why="a provisioned device's apikey (in the URL)")


def check_rule(principal: Principal, rule: Rule, tenant: str, tenant_state: str) -> None:
    """Raise Unauthorized (no key) or Forbidden (a key that may not) unless allowed.

    `tenant_state` is public, private or missing; a caller who may not read a private tenant
    gets the same answer for a missing one, so tenants cannot be discovered by probing."""
    if principal.open_mode:
        return
    if principal.rank < rule.need:
        if principal.is_anonymous:
            raise Unauthorized(f"this needs an API key ({NEED_ROLE[rule.need]} or above)")
        raise Forbidden(f"this needs a {NEED_ROLE[rule.need]} key or above")
    if rule.tenant == "bound" and not principal.bound_to(tenant):
        raise Forbidden(f"this key is not bound to tenant '{tenant}'")
    if rule.tenant == "read" and tenant_state != "public" and not principal.bound_to(tenant):
        if principal.is_anonymous:
            raise Unauthorized(f"tenant '{tenant}' needs a key bound to it")
        raise Forbidden(f"this key is not bound to tenant '{tenant}'")


# -- entities -------------------------------------------------------------------------------
def platform_types(core_expand: Iterable[str]) -> frozenset[str]:
    """Expanded type IRIs the platform writes through its own services only."""
    return frozenset(core_expand)


def check_entity_write(
    principal: Principal | None, owner: str | None, types: Iterable[str], platform: frozenset[str]
) -> None:
    """May this caller change or delete an entity? `None` is the platform's own services."""
    if principal is None or principal.open_mode or principal.is_admin:
        return
    owned_by_platform = platform.intersection(types)
    if owned_by_platform:
        name = sorted(owned_by_platform)[0].rsplit("/", 1)[-1]
        raise Forbidden(
            f"{name} entities are written by the platform's own service (or an admin), "
            "not through the broker"
        )
    if owner and not principal.member_of(owner):
        raise Forbidden(f"this entity belongs to department '{owner}'")


def owner_for(principal: Principal | None) -> str | None:
    """The department recorded as the owner of what this caller creates."""
    if principal is None or principal.open_mode or not principal.in_a_department:
        return None
    return principal.department


# -- subscriptions, hosted @contexts, devices: the creating department ---------------------
def may_manage(principal: Principal | None, owner: str | None) -> bool:
    if principal is None or principal.open_mode or principal.is_admin:
        return True
    return not owner or principal.member_of(owner)


def check_manage(principal: Principal | None, owner: str | None, what: str) -> None:
    if not may_manage(principal, owner):
        raise Forbidden(f"{what} belongs to department '{owner}'")


def may_see_secrets(principal: Principal | None, owner: str | None) -> bool:
    """A subscription's receiverInfo, a device's apikey: only its department (and admins)."""
    if principal is None or principal.open_mode or principal.is_admin:
        return True
    return bool(owner) and principal.member_of(owner)


# -- citizen requests -----------------------------------------------------------------------
CENTRE_ACTIONS = frozenset({"dispatch", "merge", "close", "reopen"})
DEPARTMENT_ACTIONS = frozenset({"accept", "return", "resolve"})


def check_request_action(
    principal: Principal | None, action: str, department: str | None, centre: str
) -> None:
    """The 12345 centre dispatches, merges, closes, reopens and follows up (回访); the department
    a request is dispatched to accepts, returns and resolves it. Admins may do anything."""
    if principal is None or principal.open_mode or principal.is_admin:
        return
    if principal.member_of(centre):
        return
    if action in DEPARTMENT_ACTIONS and department and principal.member_of(department):
        return
    if action in DEPARTMENT_ACTIONS:
        raise Forbidden(
            f"only the department the request is dispatched to ({department or 'none yet'}) "
            f"or the 12345 centre may {action} it"
        )
    raise Forbidden(f"only the 12345 centre ({centre}) may {action} a request")


def check_follow_up(principal: Principal | None, centre: str) -> None:
    """Satisfaction (三率) is recorded by the centre, never by the department being rated."""
    if principal is None or principal.open_mode or principal.is_admin:
        return
    if not principal.member_of(centre):
        raise Forbidden(f"only the 12345 centre ({centre}) records a follow-up (回访)")


def may_see_contacts(principal: Principal | None, department: str | None, centre: str) -> bool:
    """Reporters' names, phones and addresses: the centre and the department handling it."""
    if principal is None or principal.open_mode or principal.is_admin:
        return True
    return principal.member_of(centre) or (bool(department) and principal.member_of(department))

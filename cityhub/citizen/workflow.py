"""The life of a request at a 12345 centre: which action may move it from which state.

    received -dispatch-> dispatched -accept-> in_progress -resolve-> resolved -close-> closed
    dispatched / in_progress -return (退单, with a reason)-> returned -dispatch-> dispatched
    resolved / closed -reopen-> reopened -dispatch-> dispatched
    any open state -merge-> merged (closes with the request it was merged into)

Open311 sees two states: open (received, dispatched, in_progress, returned, reopened) and
closed (resolved, closed, merged).
"""

from __future__ import annotations

from cityhub.errors import CityHubError

TRANSITIONS: dict[str, dict[str, str]] = {
    "dispatch": {"received": "dispatched", "returned": "dispatched", "reopened": "dispatched"},
    "accept": {"dispatched": "in_progress"},
    "return": {"dispatched": "returned", "in_progress": "returned"},
    "resolve": {"in_progress": "resolved", "dispatched": "resolved"},
    "close": {"resolved": "closed", "received": "closed", "returned": "closed"},
    "reopen": {"resolved": "reopened", "closed": "reopened"},
}
ACTIONS = (*TRANSITIONS, "merge")
STATUS_NAMES = {
    "received": ("已受理", "received"),
    "dispatched": ("已派单", "dispatched"),
    "in_progress": ("办理中", "in progress"),
    "returned": ("已退单", "returned"),
    "resolved": ("已办结", "resolved"),
    "closed": ("已归档", "closed"),
    "reopened": ("已重办", "reopened"),
    "merged": ("已合并", "merged"),
}
OPEN311_CLOSED = ("resolved", "closed", "merged")


class TransitionNotAllowed(CityHubError):
    status = 409
    type_uri = "https://cityhub.dev/problems/TransitionNotAllowed"
    title = "Transition not allowed"


def next_status(status: str, action: str) -> str:
    """The state after `action`, or TransitionNotAllowed naming what is possible."""
    if action == "merge":
        if status in OPEN311_CLOSED:
            raise TransitionNotAllowed(f"a {status} request cannot be merged")
        return "merged"
    moves = TRANSITIONS.get(action)
    if moves is None:
        raise TransitionNotAllowed(f"unknown action '{action}'; use one of {', '.join(ACTIONS)}")
    if status not in moves:
        possible = [a for a, m in TRANSITIONS.items() if status in m]
        raise TransitionNotAllowed(
            f"cannot {action} a request that is {status}; possible: {', '.join(possible) or 'none'}"
        )
    return moves[status]


def open311_status(status: str) -> str:
    return "closed" if status in OPEN311_CLOSED else "open"


def open311_statuses(value: str) -> list[str]:
    """Workflow states for an Open311 `status` filter (open, closed, comma-separated)."""
    out: list[str] = []
    for part in value.split(","):
        part = part.strip().lower()
        if part == "open":
            out += [s for s in STATUS_NAMES if s not in OPEN311_CLOSED]
        elif part == "closed":
            out += list(OPEN311_CLOSED)
        elif part in STATUS_NAMES:
            out.append(part)
        elif part:
            from cityhub.errors import BadRequestData

            raise BadRequestData(f"status must be open or closed, not '{part}'")
    return out

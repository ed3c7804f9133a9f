"""The authorization table in the README, generated from the routes' own rules.

    python -m cityhub.api.rules_table    # prints the markdown between the README's markers

A test compares the README with this output, so the documented model is the enforced one."""

from __future__ import annotations

from collections import defaultdict

from cityhub.api.routing import GuardedRoute

BEGIN, END = "<!-- rules:begin -->", "<!-- rules:end -->"


def rules_markdown(routes: list[GuardedRoute]) -> str:
    grouped: dict[tuple[int, str, str], list[str]] = defaultdict(list)
    for route in routes:
        rule = route.rule
        label = rule.why
        grouped[(int(rule.need), rule.tenant, label)].append(f"`{route.method} {route.path}`")
    lines = ["| who may call | routes |", "|---|---|"]
    for (_, _, label), names in sorted(grouped.items()):
        lines.append(f"| {label} | {', '.join(sorted(set(names)))} |")
    return "\n".join([BEGIN, *lines, END])


def app_routes() -> list[GuardedRoute]:
    from cityhub.app import create_app
    from cityhub.config import Settings
    from cityhub.hub import Hub

    hub = Hub.open(Settings(database_url="sqlite:///:memory:"))
    try:
        return [r for r in create_app(hub).routes if isinstance(r, GuardedRoute)]
    finally:
        hub.close()


if __name__ == "__main__":
    print(rules_markdown(app_routes()))

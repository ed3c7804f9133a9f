"""Numbered SQL migrations per dialect, applied at start and recorded in schema_migrations."""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources

from cityhub.errors import SchemaTooNew


def migration_scripts(dialect: str) -> list[tuple[int, str]]:
    """(version, SQL) for every shipped migration of a dialect, in order."""
    folder = resources.files("cityhub.store").joinpath("migrations", dialect)
    scripts = []
    for item in folder.iterdir():
        name = item.name
        if name.endswith(".sql") and name[:4].isdigit():
            scripts.append((int(name[:4]), item.read_text(encoding="utf-8")))
    return sorted(scripts)


def apply_migrations(
    dialect: str,
    current_version: Callable[[], int],
    apply: Callable[[int, str], None],
) -> int:
    """Apply every migration newer than the database; refuse a database newer than the code."""
    scripts = migration_scripts(dialect)
    known = scripts[-1][0] if scripts else 0
    version = current_version()
    if version > known:
        raise SchemaTooNew(
            f"the database is at schema version {version} but this cityhub knows only up to "
            f"{known}; upgrade with 'pip install -U cityhub' before serving this database"
        )
    for number, sql in scripts:
        if number > version:
            apply(number, sql)
    return known

"""`cityhub keys`: create, list, revoke and rotate API keys."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click

from cityhub.cli.common import DB_HELP, _settings, one_line_errors
from cityhub.store import Store


@contextmanager
def _store(database: str | None) -> Iterator[Store]:
    from cityhub.store import open_store

    store = open_store(_settings(database).database_url)
    try:
        yield store
    finally:
        store.close()


@click.group()
def keys() -> None:
    """API keys: once any key exists, every write needs one (and a key is refused within a
    second of being revoked or expiring)."""


@keys.command("create")
@click.option("--department", required=True, help="Department the key acts for.")
@click.option(
    "--role",
    default="staff",
    show_default=True,
    type=click.Choice(["public", "staff", "steward", "admin"]),
    help="Role of the key.",
)
@click.option(
    "--tenant",
    "tenants",
    multiple=True,
    help="A tenant the key may use (repeat for several; '*' for all). Default: the default "
    "tenant, or every tenant for an admin key.",
)
@click.option("--days", type=float, help="The key expires after this many days.")
@click.option("--database", help=DB_HELP)
@one_line_errors
def keys_create(
    department: str, role: str, tenants: tuple[str, ...], days: float | None, database: str | None
) -> None:
    """Create a key and print its id and secret (the secret is shown only once)."""
    from cityhub.auth.keys import create_key

    with _store(database) as store:
        key_id, secret = create_key(store, department, role, tenants or None, days)
    click.echo(f"{key_id} {secret}")


@keys.command("list")
@click.option("--database", help=DB_HELP)
@one_line_errors
def keys_list(database: str | None) -> None:
    """Every key: id, department, role, tenants, state (live, expired, revoked), expiry."""
    from cityhub.auth.keys import key_state

    with _store(database) as store:
        found = store.keys.all()
    for key in found:
        tenants = ",".join(t or '""' for t in key.tenants)
        expires = key.expires_at or "-"
        click.echo(
            f"{key.key_id}\t{key.department}\t{key.role}\t{tenants}\t{key_state(key)}\t{expires}"
        )


@keys.command("revoke")
@click.argument("key_id")
@click.option("--database", help=DB_HELP)
@one_line_errors
def keys_revoke(key_id: str, database: str | None) -> None:
    """Revoke KEY_ID: refused from now on, its dashboard sessions end."""
    from cityhub.auth.keys import revoke_key

    with _store(database) as store:
        revoke_key(store, key_id)
    click.echo(f"{key_id} revoked")


@keys.command("rotate")
@click.argument("key_id")
@click.option("--database", help=DB_HELP)
@one_line_errors
def keys_rotate(key_id: str, database: str | None) -> None:
    """Give KEY_ID a new secret (printed once); the old secret stops working."""
    from cityhub.auth.keys import rotate_key

    with _store(database) as store:
        secret = rotate_key(store, key_id)
    click.echo(f"{key_id} {secret}")

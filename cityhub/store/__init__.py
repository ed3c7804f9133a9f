"""Persistence: one interface (`Store`), chosen by URL scheme, SQLite or PostgreSQL."""

from __future__ import annotations

from cityhub.errors import ConfigurationError
from cityhub.store.base import EntityWriter, Store


def open_store(url: str) -> Store:
    """Open (and migrate) the store a URL names: sqlite:///path.db or postgresql://..."""
    store: Store
    if url.startswith("sqlite:///"):
        from cityhub.store.sqlite import SQLiteStore

        store = SQLiteStore(url[len("sqlite:///") :] or ":memory:")
    elif url.startswith(("postgresql://", "postgres://")):
        from cityhub.store.postgres import PostgresStore

        store = PostgresStore(url)
    else:
        raise ConfigurationError(
            f"unsupported database URL '{url}': use sqlite:///FILE.db or postgresql://..."
        )
    store.migrate()
    return store


__all__ = ["EntityWriter", "Store", "open_store"]

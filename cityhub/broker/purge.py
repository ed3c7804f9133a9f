"""Purge entities (NGSI-LD 5.6.21): delete every entity a query selects, or only some of their
attributes (`drop`), or all but some (`keep`), in one transaction."""

from __future__ import annotations

from cityhub.auth.principal import Principal
from cityhub.broker.query import EntityQuery
from cityhub.broker.service import EntityService
from cityhub.errors import BadRequestData
from cityhub.timeutil import now_iso

# One request deletes at most this many entities; a larger purge is refused before anything is
# deleted, so it is never left half-done.
PURGE_MOST = 10_000


def purge(
    service: EntityService,
    tenant: str,
    query: EntityQuery,
    keep: frozenset[str] | None = None,
    drop: frozenset[str] | None = None,
    actor: Principal | None = None,
) -> int:
    """Delete the selected entities (or drop/keep attributes); the number of entities touched."""
    if keep is not None and drop is not None:
        raise BadRequestData("keep and drop cannot be used together")
    matches, _ = service.query(tenant, query, PURGE_MOST + 1, 0, False)
    if len(matches) > PURGE_MOST:
        raise BadRequestData(
            f"more than {PURGE_MOST:,} entities match: narrow the query and purge in parts"
        )
    ids = [e.id for e in matches]
    if not ids:
        return 0
    now = now_iso()
    with service.write(tenant) as tx:
        found = tx.get_many(ids)
        for entity in found.values():
            service.check_writer(actor, entity)
        if keep is None and drop is None:
            return tx.delete(list(found))
        changed = []
        for entity in found.values():
            names = [
                n
                for n in entity.attrs
                if (n in drop if drop is not None else n not in (keep or ()))
            ]
            for name in names:
                entity.attrs.pop(name)
            if names:
                entity.modified_at = now
                changed.append(entity)
        if changed:
            tx.update(changed)
        return len(changed)

"""History retention: raw temporal instances are kept a number of days per entity type; older
ones are deleted and their hours live on as the hourly roll-ups (count, sum, min, max, sum of
squares, counts per categorical value), which whole-hour aggregations and the history-based
indicators read. A policy reads `30` (every type, 30 days) or `ParkingSpot=2,*=30` (parking spots
two days, every other type 30); empty keeps everything.

Pruning goes in chunks of bounded size, each its own short write, so the server's writer never
waits long behind it (`prune_steps` names the work; the CLI and the server's hourly job run it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from cityhub.errors import BadRequestData
from cityhub.store import Store
from cityhub.store.rollups import HOUR_US

DAY_US = 24 * HOUR_US
CHUNK = 20_000  # raw rows deleted per write


@dataclass(frozen=True)
class RetentionPolicy:
    days: dict[str, float]  # type name (as written, compact or IRI) or "*" -> days kept

    @classmethod
    def parse(cls, text: str) -> RetentionPolicy:
        days: dict[str, float] = {}
        for part in (p.strip() for p in text.split(",")):
            if not part:
                continue
            name, _, number = part.rpartition("=") if "=" in part else ("*", "", part)
            try:
                value = float(number)
            except ValueError:
                raise BadRequestData(f"retention '{part}': days must be a number") from None
            if not value > 0:
                raise BadRequestData(f"retention '{part}': days must be more than 0")
            days[name.strip() or "*"] = value
        return cls(days)

    def __bool__(self) -> bool:
        return bool(self.days)

    def kept_days(self, type_iri: str, compact: str) -> float | None:
        """Days of raw history kept for a type (None: all of it)."""
        for name in (type_iri, compact, "*"):
            if name in self.days:
                return self.days[name]
        return None


@dataclass(frozen=True)
class PruneStep:
    tenant: str
    type_iri: str
    type_name: str
    before_us: int  # a whole hour: raw rows observed before it go


def prune_steps(
    store: Store, policy: RetentionPolicy, compact: Callable[[str], str], now_us: int
) -> Iterator[PruneStep]:
    """What the policy removes now: one step per tenant and type with kept days."""
    for tenant in store.retention.tenants():
        for type_iri in store.retention.types(tenant):
            name = compact(type_iri)
            days = policy.kept_days(type_iri, name)
            if days is None:
                continue
            before = now_us - int(days * DAY_US)
            yield PruneStep(tenant, type_iri, name, before - before % HOUR_US)


def prune(
    store: Store,
    policy: RetentionPolicy,
    compact: Callable[[str], str],
    now_us: int,
    progress: Callable[[PruneStep, int], None] | None = None,
) -> dict[tuple[str, str], int]:
    """Run every step to the end (for the CLI); returns rows removed by (tenant, type name)."""
    removed: dict[tuple[str, str], int] = {}
    for step in prune_steps(store, policy, compact, now_us):
        total = 0
        while True:
            n = store.retention.prune_chunk(step.tenant, step.type_iri, step.before_us, CHUNK)
            total += n
            if progress is not None:
                progress(step, total)
            if n < CHUNK:
                break
        removed[(step.tenant, step.type_name)] = total
    return removed

"""Who may read a dataset's rows, and whether they see them masked.

Roles: anonymous (no key), public (a citizen or app key), staff, steward and admin (department
keys). Departments own their datasets. The owning department and admins read raw values; every
other reader sees personal data masked, except the columns an approved access request unmasks.

Row access by share type (无条件共享 / 有条件共享 / 不予共享) and open type:
- unconditional + open: anyone; unconditional + restricted: any key; + prohibited: department keys;
- conditional: the owner, admins, and departments holding an approved, unexpired access request;
- not shared: the owner and admins only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cityhub.auth.principal import ANONYMOUS as ANONYMOUS
from cityhub.auth.principal import DEPARTMENT_ROLES, Principal
from cityhub.auth.principal import OPERATOR as OPERATOR
from cityhub.catalog.mask import mask_cell
from cityhub.catalog.schema import Column
from cityhub.errors import Forbidden, Unauthorized
from cityhub.store.catalog_sql import AccessRecord, DatasetRecord

SHARE_ORDER = ("unconditional", "conditional", "not_shared")
OPEN_ORDER = ("open", "restricted", "prohibited")
GRADE_ORDER = ("general", "important", "core")


# A catalog reader is the platform's one Principal (cityhub.auth.principal).
Reader = Principal


@dataclass(frozen=True)
class RowAccess:
    masked: bool
    unmasked: frozenset[str]  # columns shown raw although the reader is masked
    via: str  # owner, admin, open, key, department, grant:N


def live_grants(grants: Sequence[AccessRecord], reader: Reader, now_us: int) -> list[AccessRecord]:
    return [
        g
        for g in grants
        if g.status == "approved"
        and g.department == reader.department
        and reader.role in DEPARTMENT_ROLES
        and (g.expires_us is None or g.expires_us > now_us)
    ]


def row_access(
    reader: Reader, dataset: DatasetRecord, grants: Sequence[AccessRecord], now_us: int
) -> RowAccess:
    """How `reader` may read the rows of `dataset`; raises when they may not."""
    if reader.is_admin:
        return RowAccess(False, frozenset(), "admin")
    if reader.member_of(dataset.org):
        return RowAccess(False, frozenset(), "owner")
    if dataset.share_type == "not_shared":
        raise Forbidden(f"dataset {dataset.name} is not shared (不予共享) outside {dataset.org}")
    held = live_grants(grants, reader, now_us)
    unmasked = frozenset(f for g in held for f in g.fields)
    if dataset.share_type == "conditional":
        if not held:
            if reader.role not in DEPARTMENT_ROLES:
                raise Unauthorized(
                    f"dataset {dataset.name} is shared on conditions (有条件共享): "
                    "a department key with an approved access request is needed"
                )
            raise Forbidden(
                f"dataset {dataset.name} is shared on conditions (有条件共享): request access "
                f"and wait for {dataset.org} to approve it"
            )
        return RowAccess(True, unmasked, f"grant:{held[0].id}")
    if dataset.open_type == "open":
        return RowAccess(True, unmasked, "open")
    if dataset.open_type == "restricted":
        if reader.role == "anonymous":
            raise Unauthorized(f"dataset {dataset.name} is open to registered users: send a key")
        return RowAccess(True, unmasked, "key")
    if reader.role not in DEPARTMENT_ROLES:
        raise Forbidden(f"dataset {dataset.name} is shared between departments only")
    return RowAccess(True, unmasked, "department")


def may_manage(reader: Reader, dataset: DatasetRecord) -> bool:
    """Edit metadata and load new versions: the owning department and admins."""
    return reader.is_admin or reader.member_of(dataset.org)


def may_govern(reader: Reader, dataset: DatasetRecord) -> bool:
    """Confirm the classification, decide access requests, read the audit: the owning
    department's data steward and admins."""
    return reader.is_admin or (reader.role == "steward" and reader.department == dataset.org)


def masker(columns: Sequence[Column], access: RowAccess) -> list[frozenset[str] | None]:
    """Per column: the kinds to mask with, or None when the column is shown raw."""
    if not access.masked:
        return [None] * len(columns)
    return [None if c.id in access.unmasked else frozenset(c.kinds) for c in columns]


def apply_mask(values: Sequence[Any], plan: Sequence[frozenset[str] | None]) -> list[Any]:
    out = list(values)
    for i, kinds in enumerate(plan):
        if kinds is not None and i < len(out) and out[i] is not None:
            out[i] = mask_cell(out[i], kinds)
    return out


def stricter(a: str, b: str, order: Sequence[str]) -> str:
    return a if order.index(a) >= order.index(b) else b

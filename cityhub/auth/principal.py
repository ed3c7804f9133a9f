"""Who is asking: a key's department, role and tenants, or nobody (anonymous).

Roles rank anonymous < public (a citizen's or an app's key: may read, may file requests) <
staff < steward (a department's data steward) < admin. Departments own what their keys create.
"""

from __future__ import annotations

from dataclasses import dataclass

from cityhub.store.records import ApiKey

ROLES = ("public", "staff", "steward", "admin")
RANK = {"anonymous": 0, "public": 1, "staff": 2, "steward": 3, "admin": 4}
DEPARTMENT_ROLES = ("staff", "steward", "admin")
EVERY_TENANT = "*"


@dataclass(frozen=True)
class Principal:
    actor: str  # the key id, "anonymous", or "cli" for the local operator
    department: str
    role: str  # anonymous, public, staff, steward, admin
    tenants: tuple[str, ...] = ()
    # The store has no API keys at all (a development store): every route rule passes.
    open_mode: bool = False

    @classmethod
    def of_key(cls, key: ApiKey | None, open_mode: bool = False) -> Principal:
        if key is None:
            return OPEN if open_mode else ANONYMOUS
        return cls(key.key_id, key.department, key.role, tuple(key.tenants))

    @property
    def rank(self) -> int:
        return RANK.get(self.role, 0)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_anonymous(self) -> bool:
        return self.role == "anonymous"

    @property
    def in_a_department(self) -> bool:
        return self.role in DEPARTMENT_ROLES and bool(self.department)

    def member_of(self, department: str | None) -> bool:
        """Staff, steward or admin of exactly this department."""
        return self.role in DEPARTMENT_ROLES and bool(department) and self.department == department

    def bound_to(self, tenant: str) -> bool:
        """The key may use this tenant."""
        return EVERY_TENANT in self.tenants or tenant in self.tenants


ANONYMOUS = Principal("anonymous", "", "anonymous")
OPEN = Principal("anonymous", "", "anonymous", (EVERY_TENANT,), open_mode=True)
OPERATOR = Principal("cli", "", "admin", (EVERY_TENANT,))
DEVELOPMENT = Principal("development", "", "admin", (EVERY_TENANT,), open_mode=True)

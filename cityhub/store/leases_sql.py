"""Coordination among the processes on one store: leases on background jobs (one process runs a
job at a time), and the deployment's identity they all share."""

from __future__ import annotations

import time

from cityhub.store.repository import Repository


class LeaseRepository(Repository):
    def take(self, name: str, holder: str, seconds: float) -> bool:
        """Take or renew the lease on `name` for `seconds`; False while another holder's lease
        has not lapsed. One statement, so two processes asking at once cannot both win."""
        m = self._mark
        now_us = time.time_ns() // 1000
        rows = self._run(
            f"INSERT INTO job_leases (name, holder, until_us) VALUES ({m}, {m}, {m}) "
            "ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, "
            "until_us = excluded.until_us "
            f"WHERE job_leases.holder = excluded.holder OR job_leases.until_us < {m} "
            "RETURNING holder",
            (name, holder, now_us + int(seconds * 1_000_000), now_us),
            write=True,
        )
        return bool(rows)

    def release(self, name: str, holder: str) -> None:
        """Give the lease up now (a process stopping), so another takes it without waiting."""
        m = self._mark
        self._run(
            f"DELETE FROM job_leases WHERE name = {m} AND holder = {m}", (name, holder), write=True
        )

    def deployment_id(self) -> str:
        """The random id made with the database (migration 0016): the same for every process
        serving this store, different for every other deployment."""
        rows = self._run("SELECT id FROM deployment")
        return str(rows[0][0])

"""Statements on one PostgreSQL connection, sent in as few messages as their answers allow.

A statement whose answer nobody needs (an UPDATE, a history row, a SAVEPOINT, a RELEASE) is bound
on the client and held; the next statement that must answer carries everything held before it
in the same message. On this platform a round trip's system calls cost more than the server's
parsing of a statement; psycopg's pipeline mode, which would also save them, spins while it
waits. An error in a held statement surfaces at the message that carries it.

`Channel.savepoint()` nests a caller's work inside the open transaction so that its failure
undoes only its own statements. The group-commit writer (`cityhub.store.writer`) runs each
caller's write in one, and PostgreSQL's entity writer runs each `write()` in one when it is
inside the writer's batch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg

# Inside the writer's batch a statement waits at most this long for a lock that another
# connection holds. Past it the caller's write is rolled back to its savepoint and run again on
# its own once the batch has committed, so two workers' batches never wait on each other for
# long and never deadlock (PostgreSQL would only notice a deadlock after a second).
BATCH_LOCK_TIMEOUT = "50ms"


class Channel:
    def __init__(self, conn: psycopg.Connection[Any], held: list[str] | None = None) -> None:
        self.conn = conn
        self.cur = psycopg.ClientCursor(conn)
        self.held: list[str] = held if held is not None else []
        self.after: list[Callable[[], None]] = []  # run once the batch has committed
        self._savepoints = 0
        # How many of the held statements belong to callers' writes already finished. When a
        # message carrying them fails, the failure cannot be told apart from the sender's own:
        # the batch is `broken` and its writes must each run again on their own.
        self.settled = 0
        self.broken = False

    def bind(self, sql: str, params: Any) -> str:
        return self.cur.mogrify(sql, params)

    def send(self, sql: str = "", params: Any = None) -> psycopg.ClientCursor[Any]:
        """Run what is held and then `sql` in one message; the cursor holds `sql`'s answer."""
        statements = self.held[:]
        self.held.clear()
        if sql:
            statements.append(sql if params is None else self.bind(sql, params))
        carried, self.settled = self.settled > 0, 0
        if not statements:
            return self.cur
        try:
            self.cur.execute(";\n".join(statements))
        except psycopg.Error:
            self.broken = self.broken or carried
            raise
        while self.cur.nextset():  # the last statement's answer
            pass
        return self.cur

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """Everything done inside is undone alone if it raises; callbacks it queued are
        dropped with it. Costs no message of its own: SAVEPOINT and RELEASE are held."""
        self._savepoints += 1
        name = f"cityhub_sp{self._savepoints}"
        opening = f"SAVEPOINT {name}"
        start = len(self.held)
        callbacks = len(self.after)
        self.held.append(opening)
        try:
            yield
        except BaseException:
            del self.after[callbacks:]
            if len(self.held) > start and self.held[start] == opening:
                del self.held[start:]  # never sent: nothing of it reached the server
            else:  # what is held belongs to it; what was sent is rolled back
                self.held[:] = [f"ROLLBACK TO SAVEPOINT {name}", f"RELEASE SAVEPOINT {name}"]
            raise
        if self.held and self.held[-1] == opening:
            self.held.pop()  # nothing was done inside
        else:
            self.held.append(f"RELEASE SAVEPOINT {name}")


def lock_conflict(exc: BaseException) -> bool:
    """Did `exc` (or what caused it) come from a lock wait cut short by the batch's timeout or
    from a deadlock? Such a write is worth running again on its own."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, psycopg.errors.LockNotAvailable | psycopg.errors.DeadlockDetected):
            return True
        seen = seen.__cause__ or seen.__context__
    return False

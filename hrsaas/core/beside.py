"""Work run beside the current transaction: in a thread, on a second database connection, in
the same branch schema, while this connection runs its own statements.

PostgreSQL runs one statement of a session on one core. A job whose long statement (the month's
lines) leaves steps that do not depend on it (checks of the roster, say) can run those on the
other core instead of after it. The second connection is a session of its own:

- it sees what is committed, not this transaction's uncommitted writes: `may_run_beside()` is
  false inside a caller's transaction, whose writes it would miss;
- its writes commit on their own, when its work ends, whatever this transaction does after;
  only work whose result holds without this transaction's (derived from committed records,
  idempotent, redone by the next run) belongs there;
- it takes its locks in the order of hrsaas.core.locks like any transaction; the caller waits
  for it with `wait()` before committing, so the two never wait for each other's commit.
"""
from __future__ import annotations

import threading
from typing import Callable

from django.conf import settings
from django.db import connection, connections


def may_run_beside() -> bool:
    """Whether a job about to open its transaction may hand work to a second connection: not
    inside a caller's transaction (the second session would not see its writes), and not when
    the deployment turned it off (SI_COMPUTE_BESIDE=0: one connection per job)."""
    return getattr(settings, "SI_COMPUTE_BESIDE", True) and not connection.in_atomic_block


class Beside:
    """`fn()` started now in a thread with its own connection in this connection's schema;
    `wait()` returns its result or raises its error."""

    def __init__(self, fn: Callable[[], object], *, name: str):
        self._fn = fn
        self._tenant = connection.tenant
        self._result: object = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            # Django's connections are per thread: this is a new session, closed when done.
            connection.set_tenant(self._tenant)
            self._result = self._fn()
        except BaseException as exc:  # handed to wait(); a thread's exception would be lost
            self._error = exc
        finally:
            connections.close_all()

    def wait(self) -> object:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._result

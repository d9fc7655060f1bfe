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
- the caller waits for it while holding its own locks, a wait PostgreSQL cannot see: a third
  transaction holding a row the second session needs while it waits for one of the caller's
  locks would be a cycle its deadlock check never finds. So the second session never waits
  for a lock longer than LOCK_TIMEOUT (`bounded_waits`), and a caller whose second session
  failed does that work itself, where PostgreSQL sees every wait.
"""
from __future__ import annotations

import threading
from concurrent.futures import FIRST_COMPLETED, Future, wait
from typing import Callable

from django.conf import settings
from django.db import connection, connections

# A few times PostgreSQL's deadlock_timeout (1 s): a wait that long is more likely a cycle
# through the caller than a lock about to be released.
LOCK_TIMEOUT = "3s"


def may_run_beside() -> bool:
    """Whether a job about to open its transaction may hand work to a second connection: not
    inside a caller's transaction (the second session would not see its writes), and not when
    the deployment turned it off (SI_COMPUTE_BESIDE=0: one connection per job)."""
    return getattr(settings, "SI_COMPUTE_BESIDE", True) and not connection.in_atomic_block


def bounded_waits(cur) -> None:
    """In the second session's transaction: give up on a lock after LOCK_TIMEOUT (see above)."""
    cur.execute("SELECT set_config('lock_timeout', %s, true)", [LOCK_TIMEOUT])


class Beside:
    """`fn()` started now in a thread with its own connection in this connection's schema;
    `wait()` returns its error (None when it succeeded); `handed(future)` what it hands over
    through a future before it ends."""

    def __init__(self, fn: Callable[[], object], *, name: str):
        self._fn = fn
        self._tenant = connection.tenant
        self._error: BaseException | None = None
        self._done: Future = Future()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            # Django's connections are per thread: this is a new session, closed when done.
            connection.set_tenant(self._tenant)
            self._fn()
        except BaseException as exc:  # handed to wait(); a thread's exception would be lost
            self._error = exc
        finally:
            try:
                connections.close_all()
            finally:
                self._done.set_result(None)

    def handed(self, future: Future) -> tuple[object, BaseException | None]:
        """(what the thread set on `future`, None), or (None, its error) — also when the thread
        ended without setting it. An error raised in this thread while waiting propagates."""
        wait([future, self._done], return_when=FIRST_COMPLETED)
        if not future.done():
            return None, self._error or RuntimeError("the second session ended without handing over its result")
        error = future.exception()
        return (None, error) if error is not None else (future.result(), None)

    def wait(self) -> BaseException | None:
        self._thread.join()
        return self._error
